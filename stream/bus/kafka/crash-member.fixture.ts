// Child process for the kafka takeover test: one group member that prints every
// partition:offset it handles (before the handler resolves, so before the commit). The test
// kills it with SIGKILL, so it never leaves the group: the broker must expire its session.
import { KafkaBus } from '../kafka';

async function main(): Promise<void> {
  const [brokers, topic, group] = process.argv.slice(2);
  const bus = new KafkaBus({ brokers: brokers.split(','), consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 } });
  const consumer = bus.consumer({ group, topic, fromBeginning: true, maxBatchSize: 10 });
  await consumer.run(async (batch) => {
    process.stdout.write(`handled ${batch.messages.map((m) => `${m.partition}:${m.offset}`).join(' ')}\n`);
    await new Promise((r) => setTimeout(r, 100));
  });
}

void main();
