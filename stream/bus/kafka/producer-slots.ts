import { KafkaJSNonRetriableError, type ICustomPartitioner, type Kafka, type Producer } from 'kafkajs';
import { partitionFor } from '../../bus';
import { FAST_RETRY, PARTITION_CACHE_MS } from './timing';

/**
 * The lifecycle of the bus's idempotent producer. After any failed send its sequence numbers
 * are uncertain, so it is retired and a fresh one (a fresh producer id) takes its place; a
 * retired producer is disconnected once the sends still holding it have finished.
 */

/** The bus computes every message's partition (partitionFor); this only checks it. */
const explicitPartitioner: ICustomPartitioner = () => ({ topic, partitionMetadata, message }) => {
  const p = message.partition;
  if (p === undefined || p === null) return partitionFor(message.key?.toString() ?? '', partitionMetadata.length);
  if (p >= partitionMetadata.length) {
    throw new KafkaJSNonRetriableError(`partition ${p} of ${topic} is unknown to the producer (${partitionMetadata.length} partitions in its metadata)`);
  }
  return p;
};

export interface ProducerSlot {
  producer: Producer;
  ready: Promise<void>;
  inFlight: number;
  retired: boolean;
}

/** Hands out the current producer (creating it if needed) and counts the sends holding it. */
export class ProducerSlots {
  private slot: ProducerSlot | undefined;

  constructor(private readonly kafka: Kafka) {}

  acquire(): ProducerSlot {
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

  release(slot: ProducerSlot): void {
    slot.inFlight--;
    if (slot.retired && slot.inFlight === 0) void slot.producer.disconnect().catch(() => undefined);
  }

  retire(slot: ProducerSlot): void {
    if (slot.retired) return;
    slot.retired = true;
    if (this.slot === slot) this.slot = undefined;
    if (slot.inFlight === 0) void slot.producer.disconnect().catch(() => undefined);
  }

  /** Retires the current producer, if any, so that the next send starts a fresh one. */
  retireCurrent(): void {
    if (this.slot) this.retire(this.slot);
  }

  /** Forgets the current producer and starts its disconnect (undefined if there is none). */
  close(): Promise<void> | undefined {
    const slot = this.slot;
    this.slot = undefined;
    return slot?.producer.disconnect();
  }
}
