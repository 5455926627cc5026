import fc from 'fast-check';
import { SessionTracker, type SessionStats } from './session-tracker';

const id = (i: number) => `e-${i}`;
/** The figures as plain data (the tracker hands out a lazily computed view). */
const figures = (s: SessionStats) => ({ events: s.events, ratePerMin: s.ratePerMin, intervals: s.intervals, meanIntervalMs: s.meanIntervalMs, intervalCv: s.intervalCv });

describe('SessionTracker', () => {
  it('measures rate and regularity over the remembered events of a session', () => {
    const t = new SessionTracker();
    let s = t.record('s', id(0), 0);
    for (let i = 1; i < 12; i++) s = t.record('s', id(i), i * 2000);
    expect(figures(s)).toEqual({ events: 12, ratePerMin: 30, intervals: 11, meanIntervalMs: 2000, intervalCv: 0 });
    const human = new SessionTracker();
    [0, 4000, 35000, 36000, 90000, 95000].forEach((at, i) => (s = human.record('h', id(i), at)));
    expect(s.intervalCv).toBeGreaterThan(0.8);
  });

  it('counts a redelivered event once and ignores zero gaps of batched clients', () => {
    const t = new SessionTracker();
    t.record('s', 'a', 1000);
    t.record('s', 'b', 1000);
    t.record('s', 'c', 3000);
    expect(figures(t.record('s', 'c', 3000))).toEqual({ events: 3, ratePerMin: 60, intervals: 1, meanIntervalMs: 2000, intervalCv: 0 });
  });

  it('keeps events in time order when they arrive out of order', () => {
    const t = new SessionTracker();
    for (const [i, at] of [5000, 1000, 3000, 2000, 4000].entries()) t.record('s', id(i), at);
    expect(figures(t.record('s', id(9), 6000))).toMatchObject({ events: 6, meanIntervalMs: 1000, intervalCv: 0 });
  });

  it('stays bounded: the longest-known sessions and oldest events are forgotten', () => {
    const t = new SessionTracker({ maxSessions: 100, depth: 4, windowMs: 10_000 });
    for (let i = 0; i < 10_000; i++) t.record(`s${i}`, id(i), i);
    expect(t.size).toBe(100);
    for (let i = 0; i < 50; i++) t.record('long', id(i), i * 1000);
    expect(figures(t.record('long', id(99), 50_000))).toMatchObject({ events: 4, intervals: 3 });
    expect(t.record('gap', id(1), 0).events).toBe(1);
    expect(figures(t.record('gap', id(2), 60_000))).toMatchObject({ events: 1, ratePerMin: 0 });
  });

  it('gives the figures of a plain model of its rules, whatever the order, duplicates and bounds', () => {
    const op = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.oneof(fc.integer({ min: 0, max: 5 }), fc.nat()), fc.oneof(fc.integer({ min: 0, max: 40 }).map((x) => x * 500), fc.constantFrom(NaN, Infinity, 0)));
    const options = fc.record({ maxSessions: fc.integer({ min: 0, max: 4 }), depth: fc.integer({ min: 0, max: 6 }), windowMs: fc.constantFrom(0, 2000, 7000, 600_000) });
    fc.assert(fc.property(options, fc.array(op, { minLength: 10, maxLength: 80 }), (opts, ops) => {
      const tracker = new SessionTracker(opts);
      const model = new Model(opts.maxSessions, opts.depth, opts.windowMs);
      for (const [session, event, at] of ops) {
        expect(figures(tracker.record(session, `e-${event}`, at))).toEqual(model.record(session, `e-${event}`, at));
        expect(tracker.size).toBe(model.size);
      }
    }), { numRuns: 3000 });
  });
});

/** The tracker's rules written as plainly as possible: the reference for its figures. */
class Model {
  private readonly sessions = new Map<string, { at: number; id: string }[]>();
  constructor(private readonly max: number, private readonly depth: number, private readonly windowMs: number) {}

  get size() {
    return this.sessions.size;
  }

  record(session: string, id: string, at: number) {
    let events = this.sessions.get(session);
    if (!events) {
      if (this.sessions.size >= this.max) this.sessions.delete([...this.sessions.keys()][0]);
      this.sessions.set(session, (events = []));
    }
    if (Number.isFinite(at) && !events.some((e) => e.id === id)) {
      const i = events.filter((e) => e.at <= at).length; // after the events of the same time
      if (i > 0 || events.length < this.depth) events.splice(i, 0, { at, id });
      if (events.length > this.depth) events.shift();
    }
    const newest = events.length ? events[events.length - 1].at : 0;
    const inWindow = events.filter((e) => e.at >= newest - this.windowMs).map((e) => e.at);
    const span = inWindow.length ? newest - inWindow[0] : 0;
    const gaps = inWindow.slice(1).map((t, i) => t - inWindow[i]).filter((g) => g > 0);
    const sum = gaps.reduce((a, g) => a + g, 0);
    const sumSq = gaps.reduce((a, g) => a + g * g, 0);
    const mean = gaps.length ? sum / gaps.length : 0;
    const variance = gaps.length ? Math.max(0, sumSq / gaps.length - mean * mean) : 0;
    const count = Math.max(1, inWindow.length);
    return { events: count, ratePerMin: span > 0 ? ((count - 1) * 60_000) / span : 0, intervals: gaps.length, meanIntervalMs: mean, intervalCv: mean > 0 ? Math.sqrt(variance) / mean : 0 };
  }
}
