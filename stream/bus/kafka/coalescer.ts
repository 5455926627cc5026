import type { BusMessage } from '../../bus';

/** A slice of one partition's fetched batch, waiting to be handed to the handler. */
export interface Chunk<P> {
  messages: BusMessage[];
  /** kafkajs's eachBatch payload the slice came from (for commits and heartbeats). */
  payload: P;
  /** Checked when a call is put together: false once the partition is no longer ours to hand over. */
  live: () => boolean;
}

/** What became of a submitted chunk. */
export type ChunkFate = { kind: 'handled' } | { kind: 'dropped' } | { kind: 'failed'; error: unknown };

/**
 * Puts the chunks of several partitions into one handler call, so that a sink pays its fixed
 * cost per write (ClickHouse: round trips for exactly-once, a part per table) once per fetch
 * rather than once per partition. kafkajs hands the batches of one fetch to concurrent eachBatch
 * calls in the same tick; chunks are collected until the next macrotask, then handed over in
 * calls of at most `max` messages, one call at a time (handlers never run concurrently). A chunk
 * is never split: slices are at most `max` already. `call` runs the handler and the commit; the
 * chunks it covered settle only after it, so each eachBatch resolves its offsets after the
 * commit of the call that carried them.
 */
export class Coalescer<P> {
  private readonly pending: { chunk: Chunk<P>; settle: (fate: ChunkFate) => void }[] = [];
  private busy = false;
  private scheduled = false;

  constructor(
    private readonly max: number,
    private readonly call: (messages: BusMessage[], chunks: Chunk<P>[]) => Promise<void>,
  ) {}

  submit(chunk: Chunk<P>): Promise<ChunkFate> {
    return new Promise((settle) => {
      this.pending.push({ chunk, settle });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const taken: typeof this.pending = [];
      let size = 0;
      while (this.pending.length > 0) {
        const next = this.pending[0];
        if (!next.chunk.live()) {
          this.pending.shift();
          next.settle({ kind: 'dropped' });
          continue;
        }
        if (size > 0 && size + next.chunk.messages.length > this.max) break;
        this.pending.shift();
        taken.push(next);
        size += next.chunk.messages.length;
      }
      if (taken.length === 0) return;
      const messages = taken.length === 1 ? taken[0].chunk.messages : taken.flatMap((t) => t.chunk.messages);
      let fate: ChunkFate = { kind: 'handled' };
      try {
        await this.call(messages, taken.map((t) => t.chunk));
      } catch (error) {
        fate = { kind: 'failed', error };
      }
      for (const t of taken) t.settle(fate);
    } finally {
      this.busy = false;
      this.schedule();
    }
  }
}
