import type { SessionStats } from './session-tracker';

/**
 * The figures of one session row of the tracker (session-tracker.ts), worked out only when
 * read: most sessions are too short for anything past `events` to matter. One instance is
 * re-pointed at each row in turn, so recording an event allocates nothing.
 */
/** Lazily computed, cached figures of one session's remembered events (times at every other cell from `first`). */
export class SessionView implements SessionStats {
  private rows: Float64Array = new Float64Array(0);
  private first = 0;
  private n = 0;
  private start = -1;
  private gapsRead = false;
  private gapCount = 0;
  private gapMean = 0;
  private gapCv = 0;

  constructor(private readonly windowMs: number) {}

  point(rows: Float64Array, first: number, n: number): this {
    this.rows = rows;
    this.first = first;
    this.n = n;
    this.start = -1;
    this.gapsRead = false;
    return this;
  }

  private time(i: number): number {
    return this.rows[this.first + 2 * i];
  }

  /** Index of the oldest remembered event inside the window that ends at the newest. */
  private windowStart(): number {
    if (this.start >= 0) return this.start;
    const n = this.n;
    let first = n - 1;
    while (first > 0 && this.time(first - 1) >= this.time(n - 1) - this.windowMs) first--;
    return (this.start = Math.max(0, first));
  }

  get events(): number {
    return Math.max(1, this.n - this.windowStart());
  }

  get ratePerMin(): number {
    const span = this.n ? this.time(this.n - 1) - this.time(this.windowStart()) : 0;
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
    let n = 0, sum = 0, sumSq = 0;
    for (let i = this.windowStart() + 1; i < this.n; i++) {
      const gap = this.time(i) - this.time(i - 1);
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

