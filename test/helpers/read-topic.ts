import type { Bus, BusMessage } from '../../stream/bus';

/** Everything currently in a topic, read through a throwaway consumer group. */
export async function readTopic(bus: Bus, topic: string, timeoutMs = 10_000): Promise<BusMessage[]> {
  const end = (await bus.endOffsets(topic)).reduce((a, b) => a + b, 0);
  const out: BusMessage[] = [];
  if (end === 0) return out;
  const consumer = bus.consumer({ group: `read-${Math.random().toString(36).slice(2)}`, topic, fromBeginning: true });
  const run = consumer.run(async (b) => void out.push(...b.messages));
  const deadline = Date.now() + timeoutMs;
  while (out.length < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  await run;
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
