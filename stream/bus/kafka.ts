import { CompressionTypes, Kafka, KafkaJSNonRetriableError, type Admin, type ICustomPartitioner, type Message, type Producer, type RetryOptions } from 'kafkajs';
import { BusUnavailableError, ConfigError, DistributaryError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import type { Bus, BusConsumer, ConsumerOptions, OutgoingMessage, StartPosition, TopicSpec } from '../bus';
import { partitionFor } from '../bus';
import { KafkaBusConsumer, type ConsumerTuning } from './kafka/consumer';
import { commitAsTransientMember } from './kafka/group-offsets';
import { kafkaLogging } from './kafka/logging';

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

/** Client-wide: a dead broker must answer within seconds (ingest turns that into a 503). */
const CONNECTION_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 5000;
const FAST_RETRY: RetryOptions = { initialRetryTime: 100, maxRetryTime: 1000, retries: 3 };
/** Raw bytes per producer.send: keeps every partition's record batch under the broker's 1 MB message.max.bytes. */
const MAX_SEND_BYTES = 900 * 1024;
/** How long a topic's partition count is trusted before it is read again. */
const PARTITION_CACHE_MS = 60_000;

const DEFAULT_TUNING: ConsumerTuning = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 20_000,
  maxWaitTimeMs: 200,
  maxBackoffMs: 5_000,
};

/** resetOffsets on a group that has running members. */
export class GroupActiveError extends DistributaryError {
  constructor(group: string, state: string) {
    super(`consumer group ${group} is ${state}: stop its members before moving its offsets`, 'group_active', false);
  }
}

/** The bus computes every message's partition (partitionFor); this only checks it. */
const explicitPartitioner: ICustomPartitioner = () => ({ topic, partitionMetadata, message }) => {
  const p = message.partition;
  if (p === undefined || p === null) return partitionFor(message.key?.toString() ?? '', partitionMetadata.length);
  if (p >= partitionMetadata.length) {
    throw new KafkaJSNonRetriableError(`partition ${p} of ${topic} is unknown to the producer (${partitionMetadata.length} partitions in its metadata)`);
  }
  return p;
};

/** A call's messages (or one ~900 KB piece of a big call) waiting for the producer. */
interface PendingSend {
  topic: string;
  messages: Message[];
  bytes: number;
  /** Its caller gave up (timeout): skip it if it has not been sent yet. */
  cancelled: boolean;
  done: (err?: unknown) => void;
}

interface ProducerSlot {
  producer: Producer;
  ready: Promise<void>;
  inFlight: number;
  retired: boolean;
}

/**
 * The bus on Apache Kafka (kafkajs). Keys are placed with the port's partitionFor, so a key
 * lands on the same partition number as on the local log. Consumers: see kafka/consumer.ts.
 */
export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly tuning: ConsumerTuning;
  private readonly compression: CompressionTypes;
  private admin: { client: Admin; ready: Promise<Admin> } | undefined;
  private slot: ProducerSlot | undefined;
  private readonly pending: PendingSend[] = [];
  private pumping = false;
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private readonly partitionLookups = new Map<string, Promise<number>>();
  private readonly consumers = new Set<KafkaBusConsumer>();
  private closed = false;

  constructor(private readonly opts: KafkaBusOptions) {
    if (opts.brokers.length === 0) throw new ConfigError('KafkaBus needs at least one broker');
    this.tuning = { ...DEFAULT_TUNING, ...opts.consumer };
    this.compression = opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    this.kafka = this.newClient();
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    this.assertOpen();
    await this.withAdmin(`ensureTopic ${spec.name}`, async (admin) => {
      const created = await admin.createTopics({
        topics: [
          {
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: this.opts.replicationFactor ?? 1,
            configEntries: Object.entries(this.opts.topicConfig ?? {}).map(([name, value]) => ({ name, value })),
          },
        ],
        waitForLeaders: true,
        timeout: REQUEST_TIMEOUT_MS - 1000,
      });
      if (!created) {
        const current = await this.readPartitionCount(admin, spec.name);
        if (current < spec.partitions) {
          try {
            await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }], timeout: REQUEST_TIMEOUT_MS - 1000 });
          } catch (err) {
            // Grown concurrently by another process: fine if it is now big enough.
            if ((await this.readPartitionCount(admin, spec.name)) < spec.partitions) throw err;
          }
          // The producer's metadata still has the old count: start a fresh one.
          if (this.slot) this.retire(this.slot);
        }
      }
      await this.waitForPartitions(admin, spec.name, spec.partitions);
    });
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
      count = await withTimeout(this.partitionCount(topic), timeoutMs, `reading the partitions of ${topic}`);
    } catch (err) {
      throw new BusUnavailableError(`kafka produce to ${topic} failed: no partition metadata`, { cause: err });
    }
    const entries: PendingSend[] = [];
    const results: Promise<void>[] = [];
    let current: PendingSend | undefined;
    for (const m of messages) {
      const size = Buffer.byteLength(m.value) + Buffer.byteLength(m.key) + 64;
      if (!current || (current.bytes + size > MAX_SEND_BYTES && current.messages.length > 0)) {
        const entry: PendingSend = { topic, messages: [], bytes: 0, cancelled: false, done: () => undefined };
        results.push(new Promise<void>((resolve, reject) => (entry.done = (err) => (err === undefined ? resolve() : reject(err)))));
        entries.push((current = entry));
      }
      current.bytes += size;
      current.messages.push({
        key: m.key,
        value: m.value,
        partition: partitionFor(m.key, count),
        timestamp: m.timestamp === undefined ? undefined : String(Math.trunc(m.timestamp)),
      });
    }
    this.pending.push(...entries);
    void this.pump();
    try {
      await withTimeout(Promise.all(results), Math.max(1, deadline - Date.now()), `producing to ${topic}`);
    } catch (err) {
      for (const e of entries) e.cancelled = true; // not sent yet: never will be
      throw err instanceof BusUnavailableError ? err : new BusUnavailableError(`kafka produce to ${topic} failed`, { cause: err });
    }
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
    return this.withAdmin(`lag of ${group} on ${topic}`, async (admin) => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const ends = await admin.fetchTopicOffsets(topic);
      let lag = 0;
      for (const e of ends) {
        const c = Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
        lag += Math.max(0, Number(e.high) - (c >= 0 ? c : Number(e.low)));
      }
      return lag;
    });
  }

  async resetOffsets(group: string, topic: string, to: StartPosition): Promise<void> {
    this.assertOpen();
    const targets = await this.withAdmin(`resetOffsets of ${group} on ${topic}`, async (admin) => {
      const { groups } = await admin.describeGroups([group]);
      const state = groups.find((g) => g.groupId === group)?.state ?? 'Dead';
      if (state !== 'Empty' && state !== 'Dead') throw new GroupActiveError(group, state);
      const ends = await admin.fetchTopicOffsets(topic);
      const byTime = 'timestamp' in to ? await admin.fetchTopicOffsetsByTimestamp(topic, to.timestamp) : [];
      const out = new Map<number, number>();
      for (const e of ends) {
        const low = Number(e.low);
        const high = Number(e.high);
        let offset: number;
        if ('partitionOffsets' in to) offset = to.partitionOffsets[e.partition] ?? low;
        else if ('timestamp' in to) offset = Number(byTime.find((b) => b.partition === e.partition)?.offset ?? high);
        else offset = to.offset === 'latest' ? high : low;
        out.set(e.partition, Math.min(high, Math.max(low, offset)));
      }
      return out;
    });
    try {
      await commitAsTransientMember(this.newClient(), group, topic, targets, this.tuning);
    } catch (err) {
      throw new BusUnavailableError(`kafka resetOffsets of ${group} on ${topic} failed`, { cause: err });
    }
  }

  async endOffsets(topic: string): Promise<number[]> {
    return this.withAdmin(`endOffsets of ${topic}`, async (admin) => {
      const ends = await admin.fetchTopicOffsets(topic);
      const out: number[] = [];
      for (const e of ends) out[e.partition] = Number(e.high);
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.stop()));
    for (const e of this.pending.splice(0)) e.done(new BusUnavailableError('the kafka bus is closed'));
    const slot = this.slot;
    this.slot = undefined;
    const admin = this.admin;
    this.admin = undefined;
    // kafkajs's disconnect first waits for pending requests (up to the request timeout when the
    // broker hangs): wait a moment, then let it finish in the background.
    const disconnects = [slot?.producer.disconnect(), admin?.client.disconnect()].map((d) => withTimeout(Promise.resolve(d), 1000, 'disconnecting'));
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

  /** Sends the queue in order, one request at a time, each taking what has queued up meanwhile. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const batch = this.takeBatch();
        if (batch.length === 0) return;
        try {
          await this.send(batch);
          for (const e of batch) e.done();
        } catch (err) {
          for (const e of batch) e.done(err);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The next request: queued entries up to MAX_SEND_BYTES; a big entry goes alone, so it fails alone. */
  private takeBatch(): PendingSend[] {
    const out: PendingSend[] = [];
    let bytes = 0;
    while (this.pending.length > 0) {
      const e = this.pending[0];
      if (e.cancelled) {
        this.pending.shift();
        continue;
      }
      const big = e.bytes > MAX_SEND_BYTES / 2;
      if (out.length > 0 && (big || bytes + e.bytes > MAX_SEND_BYTES)) break;
      out.push(this.pending.shift()!);
      bytes += e.bytes;
      if (big) break;
    }
    return out;
  }

  private async send(batch: PendingSend[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const e of batch) {
      const list = byTopic.get(e.topic);
      if (list) list.push(...e.messages);
      else byTopic.set(e.topic, [...e.messages]);
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const slot = this.acquire();
    const attempt = (async () => {
      await slot.ready;
      await slot.producer.sendBatch({ topicMessages, acks: -1, compression: this.compression, timeout: REQUEST_TIMEOUT_MS });
    })();
    try {
      await withTimeout(attempt, this.opts.produceTimeoutMs ?? 5000, `producing to ${[...byTopic.keys()].join(', ')}`);
    } catch (err) {
      this.retire(slot);
      for (const topic of byTopic.keys()) this.partitionCounts.delete(topic);
      throw new BusUnavailableError(`kafka produce to ${[...byTopic.keys()].join(', ')} failed`, { cause: err });
    } finally {
      // A timed-out send keeps its (retired) producer until kafkajs gives up on it.
      void attempt.catch(() => undefined).finally(() => this.release(slot));
    }
  }

  private acquire(): ProducerSlot {
    if (!this.slot || this.slot.retired) {
      const producer = this.kafka.producer({
        idempotent: true,
        // kafkajs serialises an idempotent producer's requests per broker anyway (sequence
        // numbers); one request in flight per connection keeps ordering if that ever changes.
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: explicitPartitioner,
        metadataMaxAge: PARTITION_CACHE_MS,
        retry: FAST_RETRY,
      });
      const slot: ProducerSlot = { producer, ready: producer.connect(), inFlight: 0, retired: false };
      slot.ready.catch(() => this.retire(slot));
      this.slot = slot;
    }
    this.slot.inFlight++;
    return this.slot;
  }

  private release(slot: ProducerSlot): void {
    slot.inFlight--;
    if (slot.retired && slot.inFlight === 0) void slot.producer.disconnect().catch(() => undefined);
  }

  private retire(slot: ProducerSlot): void {
    if (slot.retired) return;
    slot.retired = true;
    if (this.slot === slot) this.slot = undefined;
    if (slot.inFlight === 0) void slot.producer.disconnect().catch(() => undefined);
  }

  private partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < PARTITION_CACHE_MS) return Promise.resolve(cached.count);
    let lookup = this.partitionLookups.get(topic);
    if (!lookup) {
      lookup = this.withAdmin(`partitions of ${topic}`, (admin) => this.readPartitionCount(admin, topic)).then((count) => {
        if (count === 0) throw new BusUnavailableError(`topic ${topic} does not exist (ensureTopic first)`);
        this.partitionCounts.set(topic, { count, at: Date.now() });
        return count;
      });
      const forget = () => this.partitionLookups.delete(topic);
      lookup.then(forget, forget);
      this.partitionLookups.set(topic, lookup);
    }
    return lookup;
  }

  private async readPartitionCount(admin: Admin, topic: string): Promise<number> {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    } catch (err) {
      if (errorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') return 0;
      throw err;
    }
  }

  private async waitForPartitions(admin: Admin, topic: string, partitions: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = topics.find((t) => t.name === topic)?.partitions ?? [];
        if (parts.length >= partitions && parts.every((p) => p.leader >= 0)) {
          // Metadata can name a leader a moment before it serves the partition: ask every one.
          await admin.fetchTopicOffsets(topic);
          this.partitionCounts.set(topic, { count: parts.length, at: Date.now() });
          return;
        }
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topic ${topic} did not show ${partitions} partitions with leaders within 10 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Runs an admin call; infrastructure failures become BusUnavailableError and drop the admin client. */
  private async withAdmin<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    this.assertOpen();
    const admin = this.adminClient();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn(await admin.ready);
        } catch (err) {
          // kafkajs's admin gives up at once on these; they pass within moments (new partitions).
          if (attempt >= 4 || !STALE_LEADER.has(errorType(err))) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } catch (err) {
      if (err instanceof DistributaryError) throw err;
      if (this.admin === admin) {
        this.admin = undefined;
        void admin.client.disconnect().catch(() => undefined);
      }
      throw new BusUnavailableError(`kafka ${what} failed`, { cause: err });
    }
  }

  private adminClient(): { client: Admin; ready: Promise<Admin> } {
    if (!this.admin) {
      const client = this.kafka.admin({ retry: FAST_RETRY });
      this.admin = { client, ready: client.connect().then(() => client) };
    }
    return this.admin;
  }

  private assertOpen(): void {
    if (this.closed) throw new BusUnavailableError('the kafka bus is closed');
  }
}

const STALE_LEADER = new Set(['NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_LEADER_EPOCH', 'FENCED_LEADER_EPOCH']);

/** The protocol error type of a kafkajs error, looking through its retry wrappers. */
function errorType(err: unknown): string {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return '';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
