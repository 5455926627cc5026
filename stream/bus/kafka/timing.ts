import type { RetryOptions } from 'kafkajs';

/**
 * Time limits of the Kafka bus and the small waiting helpers it is built on. Kept together so
 * that every bound the bus promises its callers (a dead broker answers within seconds) is
 * visible in one place.
 */

/** Client-wide: a dead broker must answer within seconds (ingest turns that into a 503). */
export const CONNECTION_TIMEOUT_MS = 1000;
export const REQUEST_TIMEOUT_MS = 5000;
export const FAST_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 };
/** How long a topic's partition count is trusted before it is read again. */
export const PARTITION_CACHE_MS = 60_000;

/** Rejects with a plain Error naming `what` if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function, for signals such as "stop() was called". */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
