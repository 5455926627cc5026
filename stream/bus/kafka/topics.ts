import type { Admin } from 'kafkajs';
import { BusUnavailableError } from '../../../lib/errors';
import type { TopicSpec } from '../../bus';
import { errorType, type AdminConnection } from './admin';
import { PARTITION_CACHE_MS, REQUEST_TIMEOUT_MS } from './timing';

/**
 * Topic creation and the partition count of each topic. produce() places every key itself
 * (partitionFor), so it needs the count on every call: it is cached for PARTITION_CACHE_MS,
 * concurrent lookups of one topic share one request, and a failed send forgets it.
 */

/** The topic fields of KafkaBusOptions (read on each ensureTopic, defaults applied here). */
export interface TopicSettings {
  replicationFactor?: number;
  topicConfig?: Record<string, string>;
}

export class TopicAdmin {
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private readonly partitionLookups = new Map<string, Promise<number>>();

  constructor(
    private readonly admin: AdminConnection,
    private readonly settings: TopicSettings,
  ) {}

  /** Creates the topic or grows it to spec.partitions; `onGrown` runs when partitions were added. */
  async ensure(spec: TopicSpec, onGrown: () => void): Promise<void> {
    await this.admin.run(`ensureTopic ${spec.name}`, async (admin) => {
      const created = await admin.createTopics({
        topics: [
          {
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: this.settings.replicationFactor ?? 1,
            configEntries: Object.entries(this.settings.topicConfig ?? {}).map(([name, value]) => ({ name, value })),
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
          onGrown();
        }
      }
      await this.waitForPartitions(admin, spec.name, spec.partitions);
    });
  }

  partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < PARTITION_CACHE_MS) return Promise.resolve(cached.count);
    let lookup = this.partitionLookups.get(topic);
    if (!lookup) {
      lookup = this.admin.run(`partitions of ${topic}`, (admin) => this.readPartitionCount(admin, topic)).then((count) => {
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

  /** Drops the cached count, so that the next produce() reads it again. */
  forget(topic: string): void {
    this.partitionCounts.delete(topic);
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
}
