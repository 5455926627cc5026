/**
 * Event ids seen within the dedup window. Insertion-ordered, so expiring the oldest is a walk
 * from the front. Ids are added only after the batch that carried them is stored: a batch
 * that failed and is delivered again must not be mistaken for duplicates of itself.
 * After a restart it is seeded from the live store, so the window survives restarts.
 */
export class SeenIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxIds = 5_000_000,
  ) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(ids: Iterable<string>, at: number): void {
    for (const id of ids) {
      this.ids.delete(id);
      this.ids.set(id, at);
    }
    this.expire(at);
  }

  get size(): number {
    return this.ids.size;
  }

  private expire(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [id, at] of this.ids) {
      if (at >= cutoff && this.ids.size <= this.maxIds) break;
      this.ids.delete(id);
    }
  }
}
