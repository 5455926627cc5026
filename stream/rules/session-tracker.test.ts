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
});
