import type { StorefrontEvent } from '../../contract/events';

/**
 * Sends generated events at a steady average rate. The schedule is anchored to the start time
 * (event k is due at start + k / rate), so slow sends and timer jitter are caught up with fuller
 * batches instead of accumulating as drift. One send is in flight at a time: the loop awaits
 * each send before producing the next batch.
 */
export interface PacedOptions {
  /** Events per second; > 0. */
  rate: number;
  /** Most events per send. */
  batchSize: number;
  produce: (n: number) => StorefrontEvent[];
  send: (events: StorefrontEvent[]) => Promise<void>;
  /** Stops the loop; a send already in flight is awaited (give `send` the same signal to cut it short). */
  signal: AbortSignal;
  /** Called for each failed send; the loop carries on with the schedule. */
  onError?: (err: unknown, events: StorefrontEvent[]) => void;
  /** At low rates, send a partial batch rather than hold an event longer than this. Default 250. */
  maxDelayMs?: number;
  /** When the sink cannot keep up, catch up at most this many seconds of events; the rest is skipped. Default 5. */
  maxLagSeconds?: number;
  /** Milliseconds, monotonic. Default performance.now. */
  now?: () => number;
}

export interface PacedResult { sent: number; failed: number; batches: number; skipped: number }

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  const { rate, batchSize, produce, send, signal, onError } = options;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`rate must be a positive number, got ${rate}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const now = options.now ?? (() => performance.now());
  const minBatch = Math.max(1, Math.min(batchSize, Math.floor((rate * (options.maxDelayMs ?? 250)) / 1000)));
  const maxLag = Math.max(batchSize, Math.ceil(rate * (options.maxLagSeconds ?? 5)));
  const result: PacedResult = { sent: 0, failed: 0, batches: 0, skipped: 0 };
  const start = now();
  let scheduled = 0; // events produced or skipped so far: the token bucket's spent tokens

  while (!signal.aborted) {
    let tokens = Math.floor((rate * (now() - start)) / 1000) - scheduled;
    if (tokens > maxLag) {
      // The sink is slower than the rate: skip ahead instead of bursting without end.
      result.skipped += tokens - maxLag;
      scheduled += tokens - maxLag;
      tokens = maxLag;
    }
    if (tokens < minBatch) {
      await sleep(((scheduled + minBatch) / rate) * 1000 - (now() - start), signal);
      continue;
    }
    const events = produce(Math.min(batchSize, tokens));
    scheduled += events.length;
    result.batches++;
    try {
      await send(events);
      result.sent += events.length;
    } catch (err) {
      result.failed += events.length;
      onError?.(err, events);
    }
    // When the loop cannot keep up it never sleeps; an instant `send` would then run on
    // microtasks alone and starve timers, including the one that aborts the run.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return result;
}
