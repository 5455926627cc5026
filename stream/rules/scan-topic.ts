import { randomUUID } from 'node:crypto';
import type { Bus, BusMessage, StartPosition } from '../bus';

/**
 * Reads a stretch of a topic once, from a position up to the end the topic had when the scan
 * began, through a throwaway consumer group: the tools that look back over the log (`rules
 * test`, `dlq replay`) use it and never touch the platform's own groups' offsets.
 */
export type ScanFrom = StartPosition | { offset: number };

/** `--from`/`--since` text: `earliest`, `latest`, an offset (every partition), a duration ago (`90m`, `2h`, `7d`) or a date-time. */
export function parseScanFrom(text: string, now = Date.now()): ScanFrom {
  const t = text.trim();
  if (t === 'earliest' || t === 'latest') return { offset: t };
  if (/^\d+$/.test(t)) return { offset: Number(t) };
  const ago = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(t);
  if (ago) return { timestamp: now - Number(ago[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'] };
  const at = Date.parse(t);
  if (Number.isFinite(at)) return { timestamp: at };
  throw new Error(`"${text}" is not a position: use earliest, latest, an offset, a duration ago (90m, 2h, 7d) or a date-time`);
}

export interface ScanOptions {
  bus: Bus;
  topic: string;
  from: ScanFrom;
  /** Consumer-group name prefix (the deployment's topic prefix plus the tool's name). */
  groupPrefix: string;
  onMessage: (m: BusMessage) => Promise<void> | void;
  limit?: number;
  /** Stop when nothing new has come for this long (a partition with nothing to read sends nothing). */
  idleMs?: number;
}

export async function scanTopic(o: ScanOptions): Promise<{ read: number; group: string }> {
  const group = `${o.groupPrefix}-${randomUUID().slice(0, 8)}`;
  const ends = await o.bus.endOffsets(o.topic);
  const from = o.from;
  let position: StartPosition = 'offset' in from && typeof from.offset === 'number'
    ? { partitionOffsets: Object.fromEntries(ends.map((_, p) => [p, from.offset as number])) }
    : (from as StartPosition);
  // A read-only local log cannot look offsets up by time (its writer does): read from the start and skip.
  const minTimestamp = 'timestamp' in position && o.bus.kind === 'local' ? position.timestamp : undefined;
  if (minTimestamp !== undefined) position = { offset: 'earliest' };
  await o.bus.resetOffsets(group, o.topic, position);

  const limit = o.limit ?? Infinity;
  const done = new Set<number>();
  let read = 0;
  let last = Date.now();
  const consumer = o.bus.consumer({ group, topic: o.topic, fromBeginning: true, maxBatchSize: 1000 });
  const running = consumer.run(async (batch) => {
    for (const m of batch.messages) {
      last = Date.now();
      if (m.offset + 1 >= ends[m.partition]) done.add(m.partition);
      if (m.offset >= ends[m.partition] || read >= limit) continue;
      if (minTimestamp !== undefined && m.timestamp < minTimestamp) continue;
      read++;
      await o.onMessage(m);
    }
  });
  const idleMs = o.idleMs ?? 5000;
  const started = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 25));
    if (read >= limit || ends.every((end, p) => end === 0 || done.has(p))) break;
    if ((await consumer.lag()) === 0) break;
    // Joining a Kafka group takes a few seconds before the first batch: give that time too.
    if (Date.now() - last > idleMs && Date.now() - started > Math.max(idleMs, 15_000)) break;
  }
  await consumer.stop();
  await running;
  return { read, group };
}
