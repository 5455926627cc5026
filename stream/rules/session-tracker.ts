import { SessionView } from './session-view';

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
 * Sessions live in one flat array, a row per session slot: the count, then (time, hash of the
 * event id) pairs in time order. A map from session id to slot finds the row. At 40,000+ live
 * sessions nothing stays in cache between two events of a session, so what counts is how
 * many cache lines an event touches: the map's, and the start of one row.
 */
export class SessionTracker {
  private readonly slots = new Map<string, number>();
  /** The session id in each slot, to forget it when its slot is taken over. */
  private readonly ids: string[] = [];
  /** At the bound, the slot to take over next: slots fill in first-sight order, so this walks them oldest first. */
  private evictNext = 0;
  private readonly maxSessions: number;
  private readonly depth: number;
  /** Cells per row: the count, and a time and an id hash per remembered event. */
  private readonly stride: number;
  private readonly view: SessionView;
  private rows: Float64Array;

  constructor(opts: SessionTrackerOptions = {}) {
    this.maxSessions = Math.max(1, opts.maxSessions ?? 100_000); // 0 would still have to hold the current session
    this.depth = opts.depth ?? 16;
    this.stride = 1 + 2 * this.depth;
    this.view = new SessionView(opts.windowMs ?? 10 * 60_000);
    this.rows = new Float64Array(Math.max(1, Math.min(this.maxSessions, 1024)) * this.stride);
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
    const rows = this.rows;
    const row = slot * this.stride;
    let n = rows[row];
    if (Number.isFinite(at)) {
      const id = hash(eventId);
      let seen = false;
      for (let i = row + 2; i < row + 1 + 2 * n && !seen; i += 2) seen = rows[i] === id;
      if (!seen) rows[row] = n = insert(rows, row + 1, n, this.depth, at, id);
    }
    return this.view.point(rows, row + 1, n);
  }

  /** A slot for a new session: a fresh one, or (at the bound) the one of the session known longest. */
  private open(sessionId: string): number {
    let slot: number;
    if (this.slots.size >= this.maxSessions) {
      // Slots are taken over in the order they were first filled, so the oldest session goes
      // first (first sight, not least recently used: reordering on every event would cost per
      // event what the bound does not need). Not `slots.keys().next()`: after many deletes at
      // the front of a Map, V8 walks every deleted entry to find the first live one.
      slot = this.evictNext;
      this.evictNext = (slot + 1) % this.maxSessions;
      this.slots.delete(this.ids[slot]);
    } else {
      slot = this.slots.size;
      if ((slot + 1) * this.stride > this.rows.length) this.grow();
    }
    this.rows[slot * this.stride] = 0;
    this.slots.set(sessionId, slot);
    this.ids[slot] = sessionId;
    return slot;
  }

  private grow(): void {
    const rows = new Float64Array(this.rows.length * 2);
    rows.set(this.rows);
    this.rows = rows;
  }
}

/**
 * Inserts (at, id) in time order among the n pairs from `first` (after events of the same
 * time); at the depth the oldest goes, and an event older than all of a full session is not
 * kept. Returns the new count.
 */
function insert(rows: Float64Array, first: number, n: number, depth: number, at: number, id: number): number {
  let i = n;
  while (i > 0 && rows[first + 2 * (i - 1)] > at) i--;
  if (n < depth) {
    for (let j = first + 2 * n; j > first + 2 * i; j -= 2) {
      rows[j] = rows[j - 2];
      rows[j + 1] = rows[j - 1];
    }
    rows[first + 2 * i] = at;
    rows[first + 2 * i + 1] = id;
    return n + 1;
  }
  if (i === 0) return n; // older than everything remembered, or depth 0
  for (let j = first; j < first + 2 * (i - 1); j += 2) {
    rows[j] = rows[j + 2];
    rows[j + 1] = rows[j + 3];
  }
  rows[first + 2 * (i - 1)] = at;
  rows[first + 2 * (i - 1) + 1] = id;
  return n;
}

/** FNV-1a over the id's tail: a collision only means one retry looks new, which changes a score, never a fate alone. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  // The tail of an id is enough: UUIDs end in 48 random bits.
  for (let i = Math.max(0, s.length - 16); i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}
