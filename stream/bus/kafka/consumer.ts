import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BusUnavailableError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { BatchHandler, BatchOutcome, BusConsumer, BusMessage, ConsumerOptions } from '../../bus';

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

export interface ConsumerDeps {
  /** A fresh kafkajs client: kafkajs shares committed-offset caches per client and group. */
  newClient: () => Kafka;
  tuning: ConsumerTuning;
  lag: (group: string, topic: string) => Promise<number>;
  isClosed: () => boolean;
  onRun: (c: KafkaBusConsumer) => void;
  onFinished: (c: KafkaBusConsumer) => void;
  logger?: Logger;
}

const DEFAULT_MAX_BATCH = 5000;

/** Errors after which the member must rejoin the group (its generation is over). */
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP', 'FENCED_INSTANCE_ID']);
export const needsRejoin = (err: unknown): boolean => typeof err === 'object' && err !== null && REJOIN_ERRORS.has(String((err as { type?: unknown }).type));

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    timestamp: Number(m.timestamp),
  };
}

/**
 * One member of a consumer group, on kafkajs's eachBatch with manual commits.
 *
 * Delivery: a chunk (≤ maxBatchSize messages of one partition) goes to the handler; once it
 * resolves, its offsets (or the handler's `{ commit }`) are committed and only then is the
 * chunk resolved in kafkajs, which moves the fetch position. kafkajs fetches each partition
 * from its last *resolved* offset, so a chunk whose handler threw is neither committed nor
 * resolved and the next fetch hands the same messages again (after a backoff): nothing is
 * skipped. A member that dies or loses the partition leaves it at the committed offset for
 * the next owner (at-least-once; a sink keyed by (partition, offset) gets exactly-once).
 *
 * Commits go through eachBatch's commitOffsetsIfNecessary(offsets) (a direct OffsetCommit)
 * rather than consumer.commitOffsets(), which silently does nothing once stop() has begun:
 * the batch being handled when stop() is called must still be committed.
 */
export class KafkaBusConsumer implements BusConsumer {
  private done: Promise<void> | undefined;
  private stopping = false;
  private readonly stopped = deferred<void>();
  private readonly wakers = new Set<() => void>();
  /** Partitions of the topic this member owns in its current generation. */
  private assigned = new Set<number>();
  /** A rebalance seen by a heartbeat during a handler: rethrown to kafkajs so it rejoins. */
  private rejoin: unknown;
  private failures = 0;
  /** The kafkajs consumer of the current generation, for commits outside eachBatch. */
  private current: Consumer | undefined;

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly opts: ConsumerOptions,
  ) {}

  run(handler: BatchHandler, onErrorCallback: (err: unknown) => void = () => undefined): Promise<void> {
    const onError = (err: unknown) => {
      try {
        onErrorCallback(err);
      } catch (callbackErr) {
        this.deps.logger?.error({ err: callbackErr }, 'kafka consumer onError callback threw');
      }
    };
    if (this.done) return Promise.reject(new Error(`the consumer of group ${this.opts.group} is already running`));
    if (this.deps.isClosed()) return Promise.reject(new BusUnavailableError('the kafka bus is closed'));
    this.deps.onRun(this);
    this.done = this.loop(handler, onError).finally(() => this.deps.onFinished(this));
    return this.done;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.resolve();
    this.wakeAll();
    await this.done?.catch(() => undefined);
  }

  lag(): Promise<number> {
    return this.deps.lag(this.opts.group, this.opts.topic);
  }

  async commit(offsets: Record<number, number>): Promise<void> {
    const partitions = Object.entries(offsets)
      .filter(([p]) => this.assigned.has(Number(p)))
      .map(([p, o]) => ({ topic: this.opts.topic, partition: Number(p), offset: String(o) }));
    if (partitions.length > 0 && this.current) await this.current.commitOffsets(partitions);
  }

  /** Keeps one kafkajs consumer running until stop(); replaces it if kafkajs gives up. */
  private async loop(handler: BatchHandler, onError: (err: unknown) => void): Promise<void> {
    let attempt = 0;
    while (!this.stopping) {
      const consumer = this.create(onError);
      this.current = consumer;
      this.rejoin = undefined;
      const crashed = deferred<unknown>();
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        this.assigned = new Set(e.payload.memberAssignment[this.opts.topic] ?? []);
        this.rejoin = undefined;
        attempt = 0;
      });
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) crashed.resolve(e.payload.error ?? new Error('kafka consumer crashed'));
      });
      let failure: unknown;
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: this.opts.topic, fromBeginning: this.opts.fromBeginning ?? true });
        // Resolves once the member has joined (or crashed): kafkajs then fetches in the background.
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1, // handlers are called one at a time, as on the local log
          eachBatch: (payload) => this.eachBatch(payload, handler, onError),
        });
        failure = await Promise.race([this.stopped.promise.then(() => undefined), crashed.promise]);
      } catch (err) {
        failure = err;
      }
      // Stops fetching, lets the batch in hand finish (and commit), leaves the group, closes sockets.
      await consumer.disconnect().catch((err: unknown) => this.deps.logger?.warn({ err, group: this.opts.group }, 'kafka consumer disconnect failed'));
      this.assigned = new Set();
      this.current = undefined;
      if (this.stopping) break;
      const err = new BusUnavailableError(`kafka consumer of group ${this.opts.group} on ${this.opts.topic} failed; reconnecting`, { cause: failure });
      this.deps.logger?.warn({ err }, err.message);
      onError(err);
      await this.sleep(Math.min(this.deps.tuning.maxBackoffMs, 250 * 2 ** attempt++));
    }
  }

  private create(onError: (err: unknown) => void): Consumer {
    const t = this.deps.tuning;
    return this.deps.newClient().consumer({
      groupId: this.opts.group,
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
        restartOnFailure: async (cause) => {
          if (this.stopping) return false;
          onError(new BusUnavailableError(`kafka consumer of group ${this.opts.group} crashed; kafkajs restarts it`, { cause }));
          return true;
        },
      },
    });
  }

  private async eachBatch(payload: EachBatchPayload, handler: BatchHandler, onError: (err: unknown) => void): Promise<void> {
    const { batch } = payload;
    if (this.rejoin && !this.stopping) throw this.rejoin;
    const max = Math.max(1, Math.floor(this.opts.maxBatchSize ?? DEFAULT_MAX_BATCH));
    for (let start = 0; start < batch.messages.length; start += max) {
      // Not running (stop() began), a seek pending, or the partition is no longer ours: leave the
      // rest unresolved and uncommitted; whoever owns the partition next reads it again.
      if (this.stopping || !payload.isRunning() || payload.isStale() || !this.assigned.has(batch.partition)) return;
      // A rebalance is only learnt from a heartbeat. kafkajs sends one after each fetched batch
      // (up to maxBytesPerPartition of messages), so ask between chunks too (it is rate-limited
      // to heartbeatInterval): a member joining takes its partitions within about a second.
      await this.heartbeat(payload);
      if (this.rejoin && !this.stopping) throw this.rejoin;
      const slice = batch.messages.slice(start, start + max);
      const keepAlive = this.keepAlive(payload);
      try {
        let outcome: BatchOutcome;
        try {
          outcome = await handler({ messages: slice.map((m) => toBusMessage(batch.topic, batch.partition, m)) });
        } catch (err) {
          onError(err);
          // Neither committed nor resolved: the next fetch of this partition starts at this chunk.
          await this.sleep(Math.min(this.deps.tuning.maxBackoffMs, 100 * 2 ** this.failures++));
          if (this.rejoin && !this.stopping) throw this.rejoin;
          return;
        }
        this.failures = 0;
        const last = slice[slice.length - 1].offset;
        await this.commitBatch(payload, outcome, Number(last) + 1);
        payload.resolveOffset(last);
      } finally {
        keepAlive.stop();
      }
      if (this.rejoin && !this.stopping) throw this.rejoin;
    }
  }

  private async commitBatch(payload: EachBatchPayload, outcome: BatchOutcome, next: number): Promise<void> {
    const { topic, partition } = payload.batch;
    const wanted: [number, number][] = outcome ? Object.entries(outcome.commit).map(([p, o]) => [Number(p), o]) : [[partition, next]];
    // Never commit for a partition this member does not own (the broker would accept it from any
    // member of the current generation).
    const partitions = wanted.filter(([p, o]) => this.assigned.has(p) && Number.isSafeInteger(o) && o >= 0).map(([p, o]) => ({ partition: p, offset: String(o) }));
    if (partitions.length === 0) return;
    try {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions }] });
    } catch (err) {
      // Thrown on to kafkajs: a rebalance makes it rejoin (the next owner starts at the last
      // commit); anything else makes it fetch again from the last resolved offset, i.e. this chunk.
      if (needsRejoin(err)) this.deps.logger?.debug({ err, group: this.opts.group }, 'kafka commit refused: group is rebalancing');
      else this.deps.logger?.warn({ err, group: this.opts.group }, 'kafka commit failed; the chunk will be delivered again');
      throw err;
    }
  }

  /** Heartbeats while a handler runs (or backs off), so a slow sink does not cost the partitions. */
  private keepAlive(payload: EachBatchPayload): { stop: () => void } {
    const timer = setInterval(
      () => {
        void this.heartbeat(payload);
      },
      Math.max(100, Math.floor(this.deps.tuning.heartbeatIntervalMs / 2)),
    );
    return { stop: () => clearInterval(timer) };
  }

  /** Heartbeats if due; a rebalance is recorded in `rejoin` (and wakes a backoff), other errors are left to kafkajs. */
  private async heartbeat(payload: EachBatchPayload): Promise<void> {
    try {
      await payload.heartbeat();
    } catch (err) {
      if (!needsRejoin(err)) return;
      this.rejoin ??= err;
      this.wakeAll();
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakers.add(finish);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
