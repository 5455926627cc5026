import type { ConsumerConfig } from 'kafkajs';

/**
 * How a bus consumer joins its group and fetches: the tunable timings (KafkaBusOptions.consumer)
 * with their defaults, and the fixed kafkajs consumer settings built from them. Kept apart from
 * the consumer's delivery logic so the numbers can be read and changed in one place.
 */

/** Group-membership timings (see KafkaBusOptions.consumer). */
export interface ConsumerTuning {
  /** Broker evicts a member that has not heartbeated for this long (broker minimum: 6000). */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long the coordinator waits for every member to rejoin during a rebalance. */
  rebalanceTimeoutMs: number;
  /** Long-poll of an empty fetch: bounds delivery latency and how long stop() waits. */
  maxWaitTimeMs: number;
  /** Cap of the backoff after a failed handler or a broken connection. */
  maxBackoffMs: number;
}

export const DEFAULT_TUNING: ConsumerTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 20_000,
  maxWaitTimeMs: 200,
  maxBackoffMs: 5_000,
};

export const DEFAULT_MAX_BATCH = 5000;
/** eachBatch calls kafkajs runs at once: at least the partitions one member usually owns. */
export const PARTITIONS_IN_FLIGHT = 64;

/**
 * The kafkajs consumer config of one group member. `restartOnFailure` decides whether kafkajs
 * restarts a consumer that crashed on a retriable cause.
 */
export function consumerConfig(group: string, t: ConsumerTuning, restartOnFailure: (cause: Error) => Promise<boolean>): ConsumerConfig {
  return {
    groupId: group,
    sessionTimeout: t.sessionTimeoutMs,
    heartbeatInterval: t.heartbeatIntervalMs,
    rebalanceTimeout: t.rebalanceTimeoutMs,
    maxWaitTimeInMs: t.maxWaitTimeMs,
    // Bigger fetches mean fewer, larger handler calls: each sink write has a fixed cost
    // (ClickHouse: a few round trips for exactly-once), so 1 MB per partition starved it.
    maxBytesPerPartition: 8 << 20,
    maxBytes: 32 << 20,
    allowAutoTopicCreation: false,
    metadataMaxAge: 60_000, // partitions added to the topic are assigned within a minute
    retry: {
      initialRetryTime: 300,
      maxRetryTime: t.maxBackoffMs,
      retries: 8,
      // kafkajs restarts a crashed consumer itself when the cause is retriable (e.g. the broker
      // was away longer than the retries); never once stop() has begun.
      restartOnFailure,
    },
  };
}
