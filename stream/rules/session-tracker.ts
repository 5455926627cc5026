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

export interface SessionTrackerOptions {
  maxSessions?: number;
  /** Events remembered per session. */
  depth?: number;
  windowMs?: number;
}

/**
 * Sessions live in flat typed arrays, `depth` cells per session slot (times ascending, and the
 * hashes of their event ids in the same order), found through one map from session id to slot:
 * a lookup touches the map and two short runs of memory, not an object and two arrays per
 * session, which matters at 100,000 sessions, far beyond any cache.
 */
export class SessionTracker {
  private readonly slots = new Map<string, number>();
  private readonly maxSessions: number;
  private readonly depth: number;
  private readonly view: SessionView;
  private counts: Int32Array;
  private times: Float64Array;
  private ids: Int32Array;

  constructor(opts: SessionTrackerOptions = {}) {
    this.maxSessions = opts.maxSessions ?? 100_000;
    this.depth = opts.depth ?? 16;
    this.view = new SessionView(opts.windowMs ?? 10 * 60_000);
    const capacity = Math.max(1, Math.min(this.maxSessions, 1024));
    this.counts = new Int32Array(capacity);
    this.times = new Float64Array(capacity * this.depth);
    this.ids = new Int32Array(capacity * this.depth);
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Adds the event to its session and returns the session's figures. They are worked out
   * only when read (most sessions are too short for anything past `events` to matter), and
   * the returned object is reused by the next call: read it before recording another event.
   */
  record(sessionId: string, eventId: string, at: number): SessionStats {
    let slot = this.slots.get(sessionId);
    if (slot === undefined) slot = this.open(sessionId);
    const base = slot * this.depth;
    let n = this.counts[slot];
    if (Number.isFinite(at)) {
      const id = hash(eventId);
      let seen = false;
      for (let i = base; i < base + n && !seen; i++) seen = this.ids[i] === id;
      if (!seen) this.counts[slot] = n = insert(this.times, this.ids, base, n, this.depth, at, id);
    }
    return this.view.point(this.times, base, n);
  }

  /** A slot for a new session: a fresh one, or (at the bound) the one of the session known longest. */
  private open(sessionId: string): number {
    let slot: number;
    if (this.slots.size >= this.maxSessions && this.slots.size > 0) {
      // The map's order is first sight: the oldest session goes first. (Reordering on every
      // event would make it least-recently-used, at a cost per event the bound does not need.)
      const oldest = this.slots.keys().next().value!;
      slot = this.slots.get(oldest)!;
      this.slots.delete(oldest);
    } else {
      slot = this.slots.size;
      if (slot === this.counts.length) this.grow();
    }
    this.counts[slot] = 0;
    this.slots.set(sessionId, slot);
    return slot;
  }

  private grow(): void {
    const capacity = this.counts.length * 2;
    const counts = new Int32Array(capacity);
    const times = new Float64Array(capacity * this.depth);
    const ids = new Int32Array(capacity * this.depth);
    counts.set(this.counts);
    times.set(this.times);
    ids.set(this.ids);
    [this.counts, this.times, this.ids] = [counts, times, ids];
  }
}

/**
 * Inserts (at, id) in time order among the n cells from base (after events of the same time);
 * at the depth the oldest goes, and an event older than all of a full session is not kept.
 * Returns the new count.
 */
function insert(times: Float64Array, ids: Int32Array, base: number, n: number, depth: number, at: number, id: number): number {
  let i = n;
  while (i > 0 && times[base + i - 1] > at) i--;
  if (n < depth) {
    for (let j = base + n; j > base + i; j--) {
      times[j] = times[j - 1];
      ids[j] = ids[j - 1];
    }
    times[base + i] = at;
    ids[base + i] = id;
    return n + 1;
  }
  if (i === 0) return n; // older than everything remembered, or depth 0
  for (let j = base; j < base + i - 1; j++) {
    times[j] = times[j + 1];
    ids[j] = ids[j + 1];
  }
  times[base + i - 1] = at;
  ids[base + i - 1] = id;
  return n;
}

/** Lazily computed, cached figures of one session's remembered events. */
class SessionView implements SessionStats {
  private t: Float64Array = new Float64Array(0);
  private base = 0;
  private n = 0;
  private first = -1;
  private gapsRead = false;
  private gapCount = 0;
  private gapMean = 0;
  private gapCv = 0;

  constructor(private readonly windowMs: number) {}

  point(times: Float64Array, base: number, n: number): this {
    this.t = times;
    this.base = base;
    this.n = n;
    this.first = -1;
    this.gapsRead = false;
    return this;
  }

  /** Index (from base) of the oldest remembered event inside the window that ends at the newest. */
  private start(): number {
    if (this.first >= 0) return this.first;
    const { t, base, n } = this;
    let first = n - 1;
    while (first > 0 && t[base + first - 1] >= t[base + n - 1] - this.windowMs) first--;
    return (this.first = Math.max(0, first));
  }

  get events(): number {
    return Math.max(1, this.n - this.start());
  }

  get ratePerMin(): number {
    const span = this.n ? this.t[this.base + this.n - 1] - this.t[this.base + this.start()] : 0;
    return span > 0 ? ((this.events - 1) * 60_000) / span : 0;
  }

  get intervals(): number {
    return this.gapStats().gapCount;
  }

  get meanIntervalMs(): number {
    return this.gapStats().gapMean;
  }

  get intervalCv(): number {
    return this.gapStats().gapCv;
  }

  private gapStats(): this {
    if (this.gapsRead) return this;
    const { t, base } = this;
    let n = 0, sum = 0, sumSq = 0;
    for (let i = base + this.start() + 1; i < base + this.n; i++) {
      const gap = t[i] - t[i - 1];
      if (gap <= 0) continue;
      n++;
      sum += gap;
      sumSq += gap * gap;
    }
    const mean = n ? sum / n : 0;
    const variance = n ? Math.max(0, sumSq / n - mean * mean) : 0;
    this.gapCount = n;
    this.gapMean = mean;
    this.gapCv = mean > 0 ? Math.sqrt(variance) / mean : 0;
    this.gapsRead = true;
    return this;
  }
}

/** FNV-1a over the id's tail: a collision only means one retry looks new, which changes a score, never a fate alone. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  // The tail of an id is enough: UUIDs end in 48 random bits.
  for (let i = Math.max(0, s.length - 16); i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
