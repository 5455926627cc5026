import { randomUUID } from 'node:crypto';
import { createGenerator } from '../ingest/generator/generator';
import type { OutgoingMessage } from '../stream/bus';
import { KafkaBus } from '../stream/bus/kafka';
import { percentile, report, resourceMeter } from './lib/report';

/**
 * KafkaBus.produce against the real broker: events per second and per-call latency for
 * several call sizes and concurrencies, gzip against no compression, and the anti-pattern
 * (one awaited produce per event) as the floor. Then one consumer group reading each
 * 1000-per-call topic back, so that the CPU of compressing and of decompressing is seen.
 *
 *   scripts/services.sh up kafka && npx tsx bench/kafka-produce.bench.ts   (BENCH_SMOKE=1: quick)
 */
export async function kafkaProduceBench(opts: { events: number; brokers: string[] }) {
  const gen = createGenerator({ seed: 7, now: () => Date.UTC(2026, 10, 23, 10) });
  const events: OutgoingMessage[] = gen.batch(opts.events).map((e) => ({ key: e.user_id ?? e.anonymous_id ?? 'anon', value: JSON.stringify(e) }));
  const avgBytes = Math.round(events.reduce((s, e) => s + Buffer.byteLength(e.value), 0) / events.length);
  const rows: Record<string, string | number>[] = [];
  const results: object[] = [];

  const cases: { compression: 'gzip' | 'none'; perCall: number; concurrency: number; events?: number }[] = [
    { compression: 'gzip', perCall: 1, concurrency: 1, events: Math.min(2000, opts.events) },
    { compression: 'gzip', perCall: 100, concurrency: 1 },
    { compression: 'gzip', perCall: 100, concurrency: 16 },
    { compression: 'gzip', perCall: 1000, concurrency: 4 },
    { compression: 'none', perCall: 100, concurrency: 16 },
    { compression: 'none', perCall: 1000, concurrency: 4 },
  ];
  for (const c of cases) {
    const bus = new KafkaBus({ brokers: opts.brokers, compression: c.compression });
    const topic = `bench-produce-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopic({ name: topic, partitions: 4 });
    await bus.produce(topic, events.slice(0, 10)); // connect and warm the metadata
    const subset = events.slice(0, c.events ?? events.length);
    const calls: OutgoingMessage[][] = [];
    for (let i = 0; i < subset.length; i += c.perCall) calls.push(subset.slice(i, i + c.perCall));
    const latencies: number[] = [];
    const meter = resourceMeter();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: c.concurrency }, async () => {
        while (next < calls.length) {
          const call = calls[next++];
          const s = performance.now();
          await bus.produce(topic, call);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const res = meter();
    const ends = await bus.endOffsets(topic);
    const stored = ends.reduce((a, b) => a + b, 0) - 10;
    if (stored !== subset.length) throw new Error(`${topic}: ${stored} stored, ${subset.length} produced`);
    const row = {
      compression: c.compression,
      per_call: c.perCall,
      concurrency: c.concurrency,
      events: subset.length,
      events_per_s: Math.round(subset.length / seconds),
      mb_per_s: Number(((subset.length * avgBytes) / seconds / 2 ** 20).toFixed(1)),
      p50_ms: Number(percentile(latencies, 50).toFixed(1)),
      p99_ms: Number(percentile(latencies, 99).toFixed(1)),
      cpu_s: Number(res.cpu_seconds.toFixed(2)),
    };
    rows.push(row);
    results.push({ ...row, peak_rss_mb: res.peak_rss_mb });

    if (c.perCall === 1000) {
      const g = `bench-${randomUUID().slice(0, 8)}`;
      const consumer = bus.consumer({ group: g, topic, maxBatchSize: 5000 });
      let seen = 0;
      const consumeMeter = resourceMeter();
      const started = performance.now();
      const run = consumer.run(async (b) => void (seen += b.messages.length));
      while (seen < subset.length + 10) await new Promise((r) => setTimeout(r, 10));
      const consumeSeconds = (performance.now() - started) / 1000;
      const consumeCost = consumeMeter();
      await consumer.stop();
      await run;
      const consumed = { compression: c.compression, per_call: 'consume', concurrency: 1, events: seen, events_per_s: Math.round(seen / consumeSeconds), cpu_s: Number(consumeCost.cpu_seconds.toFixed(2)) };
      rows.push(consumed);
      results.push({ ...consumed, seconds_including_group_join: consumeSeconds });
    }
    await bus.close();
  }
  return report('kafka-produce', { events: opts.events, avg_event_bytes: avgBytes, partitions: 4, brokers: opts.brokers }, rows, results);
}

if (require.main === module) {
  const smoke = process.env.BENCH_SMOKE === '1';
  kafkaProduceBench({ events: smoke ? 5_000 : 50_000, brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',') }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
