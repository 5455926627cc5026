/**
 * Behaviour per session for bot scoring: the last few event times of each session, in a
 * bounded map (the longest-known sessions go first), so memory stays flat however many
 * sessions a crawler opens. A redelivered or retried event (same id) is not counted twice.
 *
 * Timing regularity is the coefficient of variation of the gaps between events: people
 * browse in bursts (CV near or above 1), scripts tick (CV near 0). Gaps of 0 ms are left
 * out: a client that batches events and stamps them alike is not a metronome.
 */
export interface SessionStats {
  /** Events of the session within the window, this one included. */
  events: number;
  ratePerMin: number;
  /** Non-zero gaps the regularity figures are based on. */
  intervals: number;
  meanIntervalMs: number;
  intervalCv: number;
}

interface Entry {
  times: number[]; // ascending
  ids: number[]; // hashes of the event ids of `times`, same order
}

export interface SessionTrackerOptions {
  maxSessions?: number;
  /** Events remembered per session. */
  depth?: number;
  windowMs?: number;
}

export class SessionTracker {
  private readonly sessions = new Map<string, Entry>();
  private readonly maxSessions: number;
  private readonly depth: number;
  private readonly windowMs: number;
  private readonly view: SessionView;

  constructor(opts: SessionTrackerOptions = {}) {
    this.maxSessions = opts.maxSessions ?? 100_000;
    this.depth = opts.depth ?? 16;
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.view = new SessionView(this.windowMs);
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Adds the event to its session and returns the session's figures. They are worked out
   * only when read (most sessions are too short for anything past `events` to matter), and
   * the returned object is reused by the next call: read it before recording another event.
   */
  record(sessionId: string, eventId: string, at: number): SessionStats {
    let e = this.sessions.get(sessionId);
    if (!e) {
      // The map's order is first sight: the oldest session goes first. (Reordering on every
      // event would make it least-recently-used, at a cost per event the bound does not need.)
      if (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
      this.sessions.set(sessionId, (e = { times: [], ids: [] }));
    }
    const id = hash(eventId);
    if (Number.isFinite(at) && !e.ids.includes(id)) insert(e, at, id, this.depth);
    return this.view.point(e);
  }
}

/** Lazily computed, cached figures of one session's remembered events. */
class SessionView implements SessionStats {
  private e: Entry = { times: [], ids: [] };
  private first = -1;
  private gaps: { n: number; mean: number; cv: number } | undefined;

  constructor(private readonly windowMs: number) {}

  point(e: Entry): this {
    this.e = e;
    this.first = -1;
    this.gaps = undefined;
    return this;
  }

  /** Index of the oldest remembered event inside the window that ends at the newest. */
  private start(): number {
    if (this.first >= 0) return this.first;
    const t = this.e.times;
    let first = t.length - 1;
    while (first > 0 && t[first - 1] >= t[t.length - 1] - this.windowMs) first--;
    return (this.first = Math.max(0, first));
  }

  get events(): number {
    return Math.max(1, this.e.times.length - this.start());
  }

  get ratePerMin(): number {
    const t = this.e.times;
    const span = t.length ? t[t.length - 1] - t[this.start()] : 0;
    return span > 0 ? ((this.events - 1) * 60_000) / span : 0;
  }

  get intervals(): number {
    return this.gapStats().n;
  }

  get meanIntervalMs(): number {
    return this.gapStats().mean;
  }

  get intervalCv(): number {
    return this.gapStats().cv;
  }

  private gapStats() {
    if (this.gaps) return this.gaps;
    const t = this.e.times;
    let n = 0, sum = 0, sumSq = 0;
    for (let i = this.start() + 1; i < t.length; i++) {
      const gap = t[i] - t[i - 1];
      if (gap <= 0) continue;
      n++;
      sum += gap;
      sumSq += gap * gap;
    }
    const mean = n ? sum / n : 0;
    const variance = n ? Math.max(0, sumSq / n - mean * mean) : 0;
    return (this.gaps = { n, mean, cv: mean > 0 ? Math.sqrt(variance) / mean : 0 });
  }
}

function insert(e: Entry, at: number, id: number, depth: number): void {
  if (e.times.length === 0 || at >= e.times[e.times.length - 1]) {
    e.times.push(at);
    e.ids.push(id);
  } else insertEarlier(e, at, id, depth);
  if (e.times.length > depth) {
    e.times.shift();
    e.ids.shift();
  }
}

function insertEarlier(e: Entry, at: number, id: number, depth: number): void {
  let i = e.times.length;
  while (i > 0 && e.times[i - 1] > at) i--;
  if (i === 0 && e.times.length >= depth) return; // older than everything remembered
  e.times.splice(i, 0, at);
  e.ids.splice(i, 0, id);
}

/** FNV-1a over the id's tail: a collision only means one retry looks new, which changes a score, never a fate alone. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  // The tail of an id is enough: UUIDs end in 48 random bits.
  for (let i = Math.max(0, s.length - 16); i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
