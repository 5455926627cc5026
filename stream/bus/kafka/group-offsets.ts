import type { Kafka } from 'kafkajs';
import type { ConsumerTuning } from './consumer-settings';

/**
 * Commits `offsets` for a group that has no running member, by joining it briefly.
 *
 * kafkajs has no standalone OffsetCommit (the Java AdminClient's alterConsumerGroupOffsets),
 * and its admin.setOffsets does the same join but waits a hard-coded 5 s fetch long-poll
 * before it returns. Here the member commits as soon as it is in the group (first fetch
 * start), then leaves: a few hundred milliseconds.
 */
export async function commitAsTransientMember(kafka: Kafka, group: string, topic: string, offsets: Map<number, number>, tuning: ConsumerTuning, timeoutMs = 20_000): Promise<void> {
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: tuning.sessionTimeoutMs,
    heartbeatInterval: tuning.heartbeatIntervalMs,
    rebalanceTimeout: tuning.rebalanceTimeoutMs,
    maxWaitTimeInMs: 50,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 3, restartOnFailure: async () => false },
  });
  let timer: NodeJS.Timeout | undefined;
  const committed = new Promise<void>((resolve, reject) => {
    let started = false;
    consumer.on(consumer.events.FETCH_START, () => {
      if (started) return;
      started = true;
      consumer
        .commitOffsets([...offsets].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })))
        .then(resolve, reject);
    });
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    timer = setTimeout(() => reject(new Error(`timed out joining group ${group} to move its offsets`)), timeoutMs);
  });
  committed.catch(() => undefined); // awaited below; avoids an unhandled rejection if connect fails first
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const running = consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined });
    consumer.pause([{ topic }]); // nothing to read: only the commit matters
    await running;
    await committed;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
