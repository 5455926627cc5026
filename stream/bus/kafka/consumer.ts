import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BusUnavailableError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { BatchHandler, BatchOutcome, BusConsumer, BusMessage, ConsumerOptions } from '../../bus';
import { Coalescer, type Chunk } from './coalescer';

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
/** eachBatch calls kafkajs runs at once: at least the partitions one member usually owns. */
const PARTITIONS_IN_FLIGHT = 64;

/** A handler call that threw (already reported through onError): its chunks are delivered again. */
class HandlerFailed extends Error {
  constructor(cause: unknown) {
    super('the batch handler failed', { cause });
  }
}

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
 * Delivery: each partition's fetched batch is cut into chunks of ≤ maxBatchSize messages; the
 * chunks that the concurrent eachBatch calls of one fetch offer together go to the handler in
 * one call of ≤ maxBatchSize messages, possibly of several partitions (kafka/coalescer.ts; the
 * local log also mixes partitions in a batch). Once it resolves, its offsets (or the handler's
 * `{ commit }`) are committed and only then is each chunk resolved in kafkajs, which moves the
 * fetch position. kafkajs fetches each partition from its last *resolved* offset, so a chunk
 * whose handler threw is neither committed nor resolved and the next fetch hands the same
 * messages again (after a backoff): nothing is skipped. A member that dies or loses the
 * partition leaves it at the committed offset for the next owner (at-least-once; a sink keyed
 * by (partition, offset) gets exactly-once). kafkajs fetches again only after every eachBatch of
 * the last fetch returned, so a rebalance waits for the handler call in flight.
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
    const coalescer = new Coalescer<EachBatchPayload>(this.maxBatch(), (messages, chunks) => this.handleCall(handler, onError, messages, chunks));
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
          // Every partition's batch of a fetch at once, so that the coalescer can put them into
          // one handler call; handlers are still called one at a time, as on the local log.
          partitionsConsumedConcurrently: PARTITIONS_IN_FLIGHT,
          eachBatch: (payload) => this.eachBatch(payload, coalescer),
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

  private async eachBatch(payload: EachBatchPayload, coalescer: Coalescer<EachBatchPayload>): Promise<void> {
    const { batch } = payload;
    const max = this.maxBatch();
    const live = () => this.owns(payload);
    for (let start = 0; start < batch.messages.length; start += max) {
      if (this.rejoin && !this.stopping) throw this.rejoin;
      // Not running (stop() began), a seek pending, or the partition is no longer ours: leave the
      // rest unresolved and uncommitted; whoever owns the partition next reads it again.
      if (!live()) return;
      // A rebalance is only learnt from a heartbeat. kafkajs sends one after each fetched batch
      // (up to maxBytesPerPartition of messages), so ask between chunks too (it is rate-limited
      // to heartbeatInterval): a member joining takes its partitions within about a second.
      await this.heartbeat(payload);
      if (this.rejoin && !this.stopping) throw this.rejoin;
      const slice = batch.messages.slice(start, start + max);
      const fate = await coalescer.submit({ messages: slice.map((m) => toBusMessage(batch.topic, batch.partition, m)), payload, live });
      if (fate.kind === 'dropped') {
        if (this.rejoin && !this.stopping) throw this.rejoin;
        return;
      }
      if (fate.kind === 'failed') {
        // The handler threw: neither committed nor resolved, the next fetch of this partition
        // starts at this chunk. A failed commit goes on to kafkajs (see commitCall).
        if (!(fate.error instanceof HandlerFailed)) throw fate.error;
        if (this.rejoin && !this.stopping) throw this.rejoin;
        return;
      }
      payload.resolveOffset(slice[slice.length - 1].offset);
    }
    if (this.rejoin && !this.stopping) throw this.rejoin;
  }

  /** One handler call over the chunks of one or more partitions, then one commit for all of them. */
  private async handleCall(handler: BatchHandler, onError: (err: unknown) => void, messages: BusMessage[], chunks: Chunk<EachBatchPayload>[]): Promise<void> {
    const payload = chunks[0].payload;
    const keepAlive = this.keepAlive(payload);
    try {
      let outcome: BatchOutcome;
      try {
        outcome = await handler({ messages });
      } catch (err) {
        onError(err);
        await this.sleep(Math.min(this.deps.tuning.maxBackoffMs, 100 * 2 ** this.failures++));
        throw new HandlerFailed(err);
      }
      this.failures = 0;
      await this.commitCall(payload, outcome, messages);
    } finally {
      keepAlive.stop();
    }
  }

  private async commitCall(payload: EachBatchPayload, outcome: BatchOutcome, messages: BusMessage[]): Promise<void> {
    const { topic } = payload.batch;
    let wanted: [number, number][];
    if (outcome) wanted = Object.entries(outcome.commit).map(([p, o]) => [Number(p), o]);
    else {
      const next = new Map<number, number>();
      for (const m of messages) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1));
      wanted = [...next];
    }
    // Never commit for a partition this member does not own (the broker would accept it from any
    // member of the current generation).
    const partitions = wanted.filter(([p, o]) => this.assigned.has(p) && Number.isSafeInteger(o) && o >= 0).map(([p, o]) => ({ partition: p, offset: String(o) }));
    if (partitions.length === 0) return;
    try {
      await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions }] });
    } catch (err) {
      // Thrown on to kafkajs by every eachBatch of the call: a rebalance makes it rejoin (the next
      // owner starts at the last commit); anything else makes it fetch again from the last
      // resolved offsets, i.e. these chunks.
      if (needsRejoin(err)) this.deps.logger?.debug({ err, group: this.opts.group }, 'kafka commit refused: group is rebalancing');
      else this.deps.logger?.warn({ err, group: this.opts.group }, 'kafka commit failed; the chunks will be delivered again');
      throw err;
    }
  }

  /** Whether a chunk of this batch may still go to the handler (a pending rebalance: no, rejoin first). */
  private owns(payload: EachBatchPayload): boolean {
    return !this.stopping && !this.rejoin && payload.isRunning() && !payload.isStale() && this.assigned.has(payload.batch.partition);
  }

  private maxBatch(): number {
    return Math.max(1, Math.floor(this.opts.maxBatchSize ?? DEFAULT_MAX_BATCH));
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
