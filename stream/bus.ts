/**
 * The bus port: what the platform needs from an event log, whatever runs it (the embedded
 * local log or Kafka). Adapters live in stream/bus/; each passes stream/bus/bus.contract.ts.
 */

export interface OutgoingMessage {
  /** Partitioning key: events of one key stay in one partition, in order. */
  key: string;
  value: Buffer | string;
  /** Milliseconds since the epoch; defaults to the append time. */
  timestamp?: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: Buffer;
  timestamp: number;
}

/** A batch handed to a consumer handler. Offsets are committed only after the handler resolves. */
export interface BusBatch {
  messages: BusMessage[];
}

export type StartPosition = { offset: 'earliest' | 'latest' } | { timestamp: number } | { partitionOffsets: Record<number, number> };

export interface ConsumerOptions {
  group: string;
  topic: string;
  /** Where a group without committed offsets starts. Default: earliest. */
  fromBeginning?: boolean;
  /** Upper bound on messages per handler call. */
  maxBatchSize?: number;
}

/**
 * What a handler tells the consumer to commit. `void`: the whole batch. `{ commit }`: only
 * these next-offsets per partition (a sink that buffers, like the lake writer, commits what
 * it has made durable; the rest stays uncommitted and is redelivered after a crash).
 */
export type BatchOutcome = void | { commit: Record<number, number> };
export type BatchHandler = (batch: BusBatch) => Promise<BatchOutcome>;

export interface BusConsumer {
  /**
   * Calls `handler` for each batch until `stop()`. Offsets are committed after the handler
   * resolves; if it throws, the batch is delivered again (at-least-once), after `onError`.
   */
  run(handler: BatchHandler, onError?: (err: unknown) => void): Promise<void>;
  stop(): Promise<void>;
  /**
   * Commits next-offsets outside a handler call, for partitions this member owns: a sink that
   * flushes on a timer (the lake writer) commits what it made durable while no batch arrives.
   */
  commit(offsets: Record<number, number>): Promise<void>;
  /** Messages between this group's committed offsets and the end of the log. */
  lag(): Promise<number>;
}

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface Bus {
  readonly kind: 'local' | 'kafka';
  /** Creates the topic if it does not exist. Never shrinks an existing one. */
  ensureTopic(spec: TopicSpec): Promise<void>;
  /** Resolves once every message is durably appended; rejects (BusUnavailableError) otherwise. */
  produce(topic: string, messages: OutgoingMessage[]): Promise<void>;
  consumer(options: ConsumerOptions): BusConsumer;
  /** Moves a group's committed offsets (the group must not be running): replay from an offset or a time. */
  resetOffsets(group: string, topic: string, to: StartPosition): Promise<void>;
  /** The next offset to be written, per partition. */
  endOffsets(topic: string): Promise<number[]>;
  close(): Promise<void>;
}

export interface Topics {
  raw: string;
  clean: string;
  dlq: string;
}

/** The platform's topic names; a prefix lets several deployments (or test runs) share a broker. */
export function topicNames(prefix = ''): Topics {
  return { raw: `${prefix}events.raw`, clean: `${prefix}events.clean`, dlq: `${prefix}events.dlq` };
}

export const TOPICS: Topics = topicNames();

/** Stable partitioner shared by adapters that choose partitions themselves (murmur2-like spread, cheap). */
export function partitionFor(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
