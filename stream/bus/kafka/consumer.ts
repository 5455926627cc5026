import type { Consumer, Kafka } from 'kafkajs';
import { BusUnavailableError } from '../../../lib/errors';
import type { Logger } from '../../../lib/logger';
import type { BatchHandler, BusConsumer, ConsumerOptions } from '../../bus';
import { BatchDelivery, MemberState } from './batch-delivery';
import { consumerConfig, PARTITIONS_IN_FLIGHT, type ConsumerTuning } from './consumer-settings';
import { deferred } from './timing';

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
  private readonly stopped = deferred<void>();
  /** Stopping, owned partitions and a pending rebalance, shared with the deliveries. */
  private readonly member = new MemberState();
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
    this.member.stopping = true;
    this.stopped.resolve();
    this.member.wakeAll();
    await this.done?.catch(() => undefined);
  }

  lag(): Promise<number> {
    return this.deps.lag(this.opts.group, this.opts.topic);
  }

  async commit(offsets: Record<number, number>): Promise<void> {
    const partitions = Object.entries(offsets)
      .filter(([p]) => this.member.assigned.has(Number(p)))
      .map(([p, o]) => ({ topic: this.opts.topic, partition: Number(p), offset: String(o) }));
    if (partitions.length > 0 && this.current) await this.current.commitOffsets(partitions);
  }

  /** Keeps one kafkajs consumer running until stop(); replaces it if kafkajs gives up. */
  private async loop(handler: BatchHandler, onError: (err: unknown) => void): Promise<void> {
    let attempt = 0;
    const member = this.member;
    const { group, maxBatchSize } = this.opts;
    const delivery = new BatchDelivery(member, { group, maxBatchSize, tuning: this.deps.tuning, logger: this.deps.logger, handler, onError });
    while (!member.stopping) {
      const consumer = this.create(onError);
      this.current = consumer;
      member.rejoin = undefined;
      const crashed = deferred<unknown>();
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        member.assigned = new Set(e.payload.memberAssignment[this.opts.topic] ?? []);
        member.rejoin = undefined;
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
          eachBatch: (payload) => delivery.eachBatch(payload),
        });
        failure = await Promise.race([this.stopped.promise.then(() => undefined), crashed.promise]);
      } catch (err) {
        failure = err;
      }
      // Stops fetching, lets the batch in hand finish (and commit), leaves the group, closes sockets.
      await consumer.disconnect().catch((err: unknown) => this.deps.logger?.warn({ err, group: this.opts.group }, 'kafka consumer disconnect failed'));
      member.assigned = new Set();
      this.current = undefined;
      if (member.stopping) break;
      const err = new BusUnavailableError(`kafka consumer of group ${this.opts.group} on ${this.opts.topic} failed; reconnecting`, { cause: failure });
      this.deps.logger?.warn({ err }, err.message);
      onError(err);
      await member.sleep(Math.min(this.deps.tuning.maxBackoffMs, 250 * 2 ** attempt++));
    }
  }

  private create(onError: (err: unknown) => void): Consumer {
    return this.deps.newClient().consumer(
      consumerConfig(this.opts.group, this.deps.tuning, async (cause) => {
        if (this.member.stopping) return false;
        onError(new BusUnavailableError(`kafka consumer of group ${this.opts.group} crashed; kafkajs restarts it`, { cause }));
        return true;
      }),
    );
  }
}
