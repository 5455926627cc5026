import { CompressionTypes, Kafka } from 'kafkajs';
import { BusUnavailableError, ConfigError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Bus, BusConsumer, ConsumerOptions, OutgoingMessage, StartPosition, TopicSpec } from '../bus';
import { AdminConnection } from './kafka/admin';
import { KafkaBusConsumer } from './kafka/consumer';
import { DEFAULT_TUNING, type ConsumerTuning } from './kafka/consumer-settings';
import { commitAsTransientMember } from './kafka/group-offsets';
import { kafkaLogging } from './kafka/logging';
import { readEndOffsets, readLag, resetTargets } from './kafka/offsets';
import { ProducerQueue } from './kafka/producer-queue';
import { ProducerSlots } from './kafka/producer-slots';
import { CONNECTION_TIMEOUT_MS, FAST_RETRY, REQUEST_TIMEOUT_MS, withTimeout } from './kafka/timing';
import { TopicAdmin } from './kafka/topics';

// resetOffsets throws it; callers import it from here, next to KafkaBus.
export { GroupActiveError } from './kafka/offsets';

/** Where the brokers are and the limits the bus keeps; everything but brokers has a default. */
export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** kafkajs logs go here (INFO→debug, DEBUG→trace); silenced without a logger. */
  logger?: Logger;
  /**
   * Record-batch compression, default none. gzip is the only codec built into kafkajs (Snappy,
   * LZ4 and ZSTD each need a codec package, several with native builds, none installed here),
   * and it costs CPU on this side twice: measured (bench/kafka-produce.bench.ts, 640-byte event
   * JSON) about 6 µs per event to produce and 6 µs per event per consumer group to read back,
   * about 0.4 of a core at 25,000 events/s with the realtime and lake groups, in the process
   * that is the bottleneck. gzip shrinks event JSON several-fold: choose it when the broker is
   * across a slow or metered network rather than next to the workers.
   */
  compression?: 'gzip' | 'none';
  /** Replication factor of topics ensureTopic creates. Default 1 (a single broker). */
  replicationFactor?: number;
  /** Topic configs set when ensureTopic creates a topic (e.g. retention.ms). */
  topicConfig?: Record<string, string>;
  /** Upper bound on one produce() call (partition lookup, queueing, send), ms. Default 5000. */
  produceTimeoutMs?: number;
  /** Consumer-group timings. Defaults: session 10 s, heartbeat 1 s, rebalance 20 s, long-poll 200 ms. */
  consumer?: Partial<ConsumerTuning>;
}

/**
 * The bus on Apache Kafka (kafkajs). Keys are placed with the port's partitionFor, so a key
 * lands on the same partition number as on the local log. Consumers: see kafka/consumer.ts;
 * the produce path: kafka/producer-queue.ts; topics and partition counts: kafka/topics.ts.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly tuning: ConsumerTuning;
  private readonly admin: AdminConnection;
  private readonly topics: TopicAdmin;
  private readonly producers: ProducerSlots;
  private readonly queue: ProducerQueue;
  private readonly consumers = new Set<KafkaBusConsumer>();
  private closed = false;

  constructor(private readonly opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new ConfigError('KafkaBus needs at least one broker');
    this.tuning = { ...DEFAULT_TUNING, ...opts.consumer };
    const compression = opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const kafka = this.newClient();
    this.admin = new AdminConnection(kafka, () => this.assertOpen());
    this.topics = new TopicAdmin(this.admin, opts);
    this.producers = new ProducerSlots(kafka);
    this.queue = new ProducerQueue(this.producers, { compression, produceTimeoutMs: opts.produceTimeoutMs, onSendFailed: (topic) => this.topics.forget(topic) });
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    this.assertOpen();
    await this.topics.ensure(spec, () => this.producers.retireCurrent());
  }

  /**
   * Appends with acks from all in-sync replicas through one idempotent producer (no duplicates
   * from kafkajs's own retries). A call's messages always travel together in one request
   * (split, in order, only past ~900 KB); calls that arrive while a request is in flight are
   * coalesced into the next one (group commit), because kafkajs serialises an idempotent
   * producer's requests per broker anyway: one request per call would queue them one by one.
   * Every call answers within produceTimeoutMs; any failure rejects with BusUnavailableError
   * and retires the producer (after an unknown outcome an idempotent producer's sequence
   * numbers are uncertain; a fresh producer id starts clean).
   */
  async produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the kafka bus is closed');
    if (messages.length === 0) return;
    const timeoutMs = this.opts.produceTimeoutMs ?? 5000;
    const deadline = Date.now() + timeoutMs;
    let count: number;
    try {
      count = await withTimeout(this.topics.partitionCount(topic), timeoutMs, `reading the partitions of ${topic}`);
    } catch (err) {
      throw new BusUnavailableError(`kafka produce to ${topic} failed: no partition metadata`, { cause: err });
    }
    await this.queue.produce(topic, messages, count, deadline);
  }

  consumer(options: ConsumerOptions): BusConsumer {
    return new KafkaBusConsumer(
      {
        newClient: () => this.newClient(),
        tuning: this.tuning,
        lag: (group, topic) => this.lag(group, topic),
        isClosed: () => this.closed,
        onRun: (c) => this.consumers.add(c),
        onFinished: (c) => this.consumers.delete(c),
        logger: this.opts.logger,
      },
      options,
    );
  }

  /** Committed offsets vs high watermarks; a partition without a commit counts from its low watermark. */
  async lag(group: string, topic: string): Promise<number> {
    return this.admin.run(`lag of ${group} on ${topic}`, (admin) => readLag(admin, group, topic));
  }

  async resetOffsets(group: string, topic: string, to: StartPosition): Promise<void> {
    this.assertOpen();
    const targets = await this.admin.run(`resetOffsets of ${group} on ${topic}`, (admin) => resetTargets(admin, group, topic, to));
    try {
      await commitAsTransientMember(this.newClient(), group, topic, targets, this.tuning);
    } catch (err) {
      throw new BusUnavailableError(`kafka resetOffsets of ${group} on ${topic} failed`, { cause: err });
    }
  }

  async endOffsets(topic: string): Promise<number[]> {
    return this.admin.run(`endOffsets of ${topic}`, (admin) => readEndOffsets(admin, topic));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    this.queue.rejectPending(new BusUnavailableError('the kafka bus is closed'));
    // kafkajs's disconnect first waits for pending requests (up to the request timeout when the
    // broker hangs): wait a moment, then let it finish in the background.
    const disconnects = [this.producers.close(), this.admin.close()].map((d) => withTimeout(Promise.resolve(d), 1000, 'disconnecting'));
    await Promise.allSettled(disconnects);
  }

  private newClient(): Kafka {
    return new Kafka({
      clientId: this.opts.clientId ?? 'distributary',
      brokers: this.opts.brokers,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      enforceRequestTimeout: true,
      retry: FAST_RETRY,
      ...kafkaLogging(this.opts.logger),
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new BusUnavailableError('the kafka bus is closed');
  }
}
