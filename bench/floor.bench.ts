import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEventValidator } from '../contract/validate';
import { createGenerator } from '../ingest/generator/generator';
import { arrayElements, busText } from '../ingest/json-elements';
import { TOPICS, type BusMessage, type OutgoingMessage } from '../stream/bus';
import { LocalLogBus } from '../stream/bus/local-log';
import { LakeWriter } from '../stream/lake/lake-writer';
import { createBundledRuleStep } from '../stream/rules/apply-rules.step';
import { createDedupStep } from '../stream/steps/dedup-event.step';
import { parseEvent } from '../stream/steps/parse-event.step';
import { SeenIds } from '../stream/steps/seen-ids';
import { toLiveEvent } from '../stream/steps/to-live-event';
import type { LiveEvent } from '../warehouse/live-store';
import { toRow } from '../warehouse/live-store/clickhouse-rows';
import { DuckDbLiveStore } from '../warehouse/live-store/duckdb-live-store';
import { report, stats } from './lib/report';

/**
 * The floor under the end-to-end benchmarks: the CPU each unavoidable step costs per event,
 * measured alone, warm, on one thread of an otherwise idle process, with no HTTP, no thread
 * hand-offs and no competing stage. The real platform pays more (the `cost` benchmark), never
 * less, so the sum of the steps bounds what any arrangement of them can reach on this machine:
 * cores × 1e6 / (sum of µs per event) events/s.
 *
 * CPU is process-wide (process.cpuUsage), so DuckDB's and libuv's threads are counted; each
 * step runs in its own pass over the same generated events, and passes alternate by round.
 */
export async function floorBench(opts: { events: number; rounds: number }) {
  const gen = createGenerator({ seed: 11 });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-'));
  const perStep: Record<string, number[]> = {};
  const rules = createBundledRuleStep();
  const validator = createEventValidator();

  for (let round = 0; round <= opts.rounds; round++) {
    const warmup = round === 0;
    // Fresh ids each round, so dedup and the idempotent sinks store every event.
    const events = gen.batch(opts.events).map((e) => ({ ...e, event_id: randomUUID() }));
    const bodies: string[] = [];
    for (let i = 0; i < events.length; i += 100) bodies.push(JSON.stringify(events.slice(i, i + 100)));
    const now = Date.now();
    const dir = path.join(tmp, `round-${round}`);
    const bus = new LocalLogBus({ dir: path.join(dir, 'bus'), fsync: true });
    await bus.ensureTopic({ name: TOPICS.raw, partitions: 12 });
    const store = await DuckDbLiveStore.open(path.join(dir, 'live.duckdb'));
    await store.migrate();
    const lake = await LakeWriter.open({ root: path.join(dir, 'lake'), rollRows: 1e12, rollMs: 1e12 });

    let parsedBodies: unknown[][] = [];
    let outgoing: OutgoingMessage[] = [];
    let messages: BusMessage[] = [];
    let parsed: unknown[] = [];
    let cleaned: { event: (typeof events)[number]; quality: Parameters<typeof toLiveEvent>[2] }[] = [];
    let rows: LiveEvent[] = [];
    const step = async (name: string, work: () => unknown) => {
      const cpu = process.cpuUsage();
      await work();
      const used = process.cpuUsage(cpu);
      if (!warmup) (perStep[name] ??= []).push((used.user + used.system) / events.length);
    };

    // Ingest: a body of 100 events is parsed, each event validated, and its text as sent cut out for the bus.
    await step('ingest: JSON.parse of 100-event bodies', () => (parsedBodies = bodies.map((b) => JSON.parse(b) as unknown[])));
    await step('ingest: schema validation', () => parsedBodies.forEach((list) => list.forEach((e) => validator(e))));
    await step('ingest: each event\'s text for the bus', () => {
      const texts = bodies.flatMap((b) => arrayElements(b, 0));
      outgoing = parsedBodies.flat().map((e, i) => {
        const ev = e as (typeof events)[number];
        return { key: ev.user_id ?? ev.anonymous_id!, value: busText(texts[i], e), timestamp: now };
      });
    });
    // Group commit: concurrent requests share an fsync; 10 requests of 100 per append here.
    await step('bus: durable append (local log, fsync)', async () => {
      for (let i = 0; i < outgoing.length; i += 1000) await bus.produce(TOPICS.raw, outgoing.slice(i, i + 1000));
    });
    messages = outgoing.map((m, i) => ({ topic: TOPICS.raw, partition: i % 12, offset: Math.floor(i / 12), key: m.key, value: Buffer.from(m.value), timestamp: now }));

    // Real-time path: the same steps as stream/realtime.consumer.ts, one at a time.
    await step('realtime: parse bus bytes', () => (parsed = messages.map((m) => (parseEvent(m.value) as { value: unknown }).value)));
    await step('realtime: schema validation', () => parsed.forEach((e) => validator(e)));
    await step('realtime: rule engine (bundled rules)', () => {
      cleaned = [];
      for (const e of parsed) {
        const r = rules(e as (typeof events)[number], now);
        if (r.kind === 'ok') cleaned.push(r.value as (typeof cleaned)[number]);
      }
    });
    await step('realtime: dedup + live row', () => {
      const dedup = createDedupStep(new SeenIds(3_600_000));
      const inBatch = new Set<string>();
      rows = [];
      cleaned.forEach((c, i) => {
        const u = dedup(c.event, inBatch);
        if (u.kind === 'ok') rows.push(toLiveEvent(u.value, { partition: messages[i].partition, offset: messages[i].offset, receivedAt: now }, c.quality));
      });
    });
    await step('live store: DuckDB write, 5,000 per batch', async () => {
      for (let i = 0; i < rows.length; i += 5000) {
        const slice = rows.slice(i, i + 5000);
        const next: Record<number, number> = {};
        for (const r of slice) next[r.bus_partition] = Math.max(next[r.bus_partition] ?? 0, r.bus_offset + 1);
        await store.write(TOPICS.raw, slice, next);
      }
    });
    // The ClickHouse adapter's share on our side: the row and its JSONEachRow line (the server's insert is not counted).
    await step('live store: ClickHouse row + JSON line', () => rows.forEach((r) => JSON.stringify(toRow(TOPICS.raw, r))));

    // Offline path: raw bytes → Parquet, one file set per hour.
    await step('lake: raw events to Parquet', async () => {
      for (let i = 0; i < messages.length; i += 5000) await lake.add(messages.slice(i, i + 5000));
      await lake.roll();
    });

    await lake.close();
    await store.close();
    await bus.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(tmp, { recursive: true, force: true });

  const med = (name: string) => stats(perStep[name]).median;
  const sum = (prefixes: string[]) => Object.keys(perStep).filter((n) => prefixes.some((p) => n.startsWith(p))).reduce((s, n) => s + med(n), 0);
  const cores = os.cpus().length;
  const embedded = sum(['ingest:', 'bus:', 'realtime:', 'live store: DuckDB', 'lake:']);
  const realtimeJs = sum(['realtime:', 'live store: ClickHouse']);
  const rows_ = [
    ...Object.keys(perStep).map((name) => ({ step: name, 'CPU µs/event (median)': med(name).toFixed(2), 'min–max': `${stats(perStep[name]).min.toFixed(2)}–${stats(perStep[name]).max.toFixed(2)}` })),
    { step: 'sum, embedded (ingest + bus + real-time on DuckDB + lake)', 'CPU µs/event (median)': embedded.toFixed(1), 'min–max': `ceiling ${Math.round((cores * 1e6) / embedded)}/s on ${cores} cores` },
    { step: 'sum, real-time worker for ClickHouse (Node side only)', 'CPU µs/event (median)': realtimeJs.toFixed(1), 'min–max': `ceiling ${Math.round(1e6 / realtimeJs)}/s on one thread` },
  ];
  const results = {
    steps: Object.fromEntries(Object.keys(perStep).map((n) => [n, stats(perStep[n])])),
    embedded_sum_us: embedded,
    embedded_ceiling_events_per_sec: (cores * 1e6) / embedded,
    realtime_clickhouse_node_sum_us: realtimeJs,
    realtime_clickhouse_node_ceiling_events_per_sec: 1e6 / realtimeJs,
  };
  report('floor', { ...opts, cores }, rows_, results);
  return results;
}
