/**
 * Event ids seen within the dedup window. Ids are added only after the batch that carried them
 * is stored: a batch that failed and is delivered again must not be mistaken for duplicates of
 * itself. After a restart it is seeded from the live store, so the window survives restarts.
 *
 * Expiry walks a queue of (id, time) in insertion order, not the Map: after many deletes at
 * the front of a Map, V8 walks every deleted entry to find the first live one, so a steady
 * state of a few million ids would pay millions of steps per batch.
 */
export class SeenIds {
  /** id → the number of its latest add (0, 1, 2, … over the life of this set). */
  private readonly ids = new Map<string, number>();
  /** Every add in order, with its time: a queue from `head`; add number n is at n - `dropped`. */
  private order: string[] = [];
  private times: number[] = [];
  private head = 0;
  private dropped = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxIds = 5_000_000,
  ) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(ids: Iterable<string>, at: number): void {
    for (const id of ids) {
      this.ids.set(id, this.dropped + this.order.length);
      this.order.push(id);
      this.times.push(at);
    }
    this.expire(at);
  }

  get size(): number {
    return this.ids.size;
  }

  private expire(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.order.length && (this.times[this.head] < cutoff || this.ids.size > this.maxIds)) {
      const id = this.order[this.head];
      // Added again later: that later add expires it.
      if (this.ids.get(id) === this.dropped + this.head) this.ids.delete(id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.times = this.times.slice(this.head);
      this.dropped += this.head;
      this.head = 0;
    }
  }
}
