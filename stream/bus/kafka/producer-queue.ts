import type { CompressionTypes, Message } from 'kafkajs';
import { BusUnavailableError } from '../../../lib/errors';
import type { OutgoingMessage } from '../../bus';
import { partitionFor } from '../../bus';
import type { ProducerSlots } from './producer-slots';
import { REQUEST_TIMEOUT_MS, withTimeout } from './timing';

/**
 * The produce path's group commit: calls queue their messages here and one pump sends them,
 * one request at a time, each request taking whatever queued up while the last was in flight.
 * kafkajs serialises an idempotent producer's requests per broker anyway, so one request per
 * call would only queue them one by one.
 */

/** Raw bytes per producer.send: keeps every partition's record batch under the broker's 1 MB message.max.bytes. */
const MAX_SEND_BYTES = 900 * 1024;

/** A call's messages (or one ~900 KB piece of a big call) waiting for the producer. */
interface PendingSend {
  topic: string;
  messages: Message[];
  bytes: number;
  /** Its caller gave up (timeout): skip it if it has not been sent yet. */
  cancelled: boolean;
  done: (err?: unknown) => void;
}

export interface ProducerQueueOptions {
  compression: CompressionTypes;
  /** KafkaBusOptions.produceTimeoutMs (default applied here). */
  produceTimeoutMs?: number;
  /** A send to these topics failed: their partition counts may be stale. */
  onSendFailed: (topic: string) => void;
}

export class ProducerQueue {
  private readonly pending: PendingSend[] = [];
  private pumping = false;

  constructor(
    private readonly slots: ProducerSlots,
    private readonly opts: ProducerQueueOptions,
  ) {}

  /** Queues one call's messages (split, in order, past ~900 KB) and waits until all are sent or the deadline passes. */
  async produce(topic: string, messages: OutgoingMessage[], partitions: number, deadline: number): Promise<void> {
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
        partition: partitionFor(m.key, partitions),
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

  /** Fails every call still waiting in the queue with `err`. */
  rejectPending(err: Error): void {
    for (const e of this.pending.splice(0)) e.done(err);
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
    const slot = this.slots.acquire();
    const attempt = (async () => {
      await slot.ready;
      await slot.producer.sendBatch({ topicMessages, acks: -1, compression: this.opts.compression, timeout: REQUEST_TIMEOUT_MS });
    })();
    try {
      await withTimeout(attempt, this.opts.produceTimeoutMs ?? 5000, `producing to ${[...byTopic.keys()].join(', ')}`);
    } catch (err) {
      this.slots.retire(slot);
      for (const topic of byTopic.keys()) this.opts.onSendFailed(topic);
      throw new BusUnavailableError(`kafka produce to ${[...byTopic.keys()].join(', ')} failed`, { cause: err });
    } finally {
      // A timed-out send keeps its (retired) producer until kafkajs gives up on it.
      void attempt.catch(() => undefined).finally(() => this.slots.release(slot));
    }
  }
}
