import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import { createGenerator } from '../ingest/generator/generator';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { topicNames, type OutgoingMessage } from '../stream/bus';
import { KafkaBus } from '../stream/bus/kafka';
import { startRealtimeWorker } from '../stream/workers';
import { ClickHouseLiveStore } from '../warehouse/live-store/clickhouse-live-store';
import { CLICKHOUSE_URL, codeState, deleteKafka, dropDatabases, KAFKA_BROKERS, serverMeter } from './lib/servers';
import { clickhouseString } from '../lib/sql-literal';
import { engineViews, fingerprint, RULE_REWRITTEN } from './lib/kafka-engine-sql';
import { report, resourceMeter, stats } from './lib/report';

/**
 * Our realtime worker's Kafka → ClickHouse rate against ClickHouse's own Kafka engine, same
 * run, same topic, same messages.
 *
 * N generated events (JSON, keyed by user_id ?? anonymous_id) are produced once to a fresh
 * 12-partition topic. Then rounds alternate (after one unrecorded warm-up pair):
 *
 *  A  ours: startRealtimeWorker (the `stream realtime` worker: parse, JSON-schema validation,
 *     cleaning rules, dedup against the recent-ids window, the exactly-once write protocol of
 *     ClickHouseLiveStore.write: watermark + landed-offsets lookups, one INSERT per batch into
 *     `events`, whose materialized views fill sink_landed, events_by_time and the three rollups;
 *     then the watermark insert), in this process, with a fresh consumer group and a fresh
 *     database migrated with sql/clickhouse. Timed from starting the worker (group join
 *     included) until `events` holds N rows (plus any it sent to events.dlq).
 *  B  ClickHouse's Kafka engine: in a fresh database with the same migrations, a Kafka table of
 *     one String column (each message is one TabSeparated line, row delimiter '\n': the generated
 *     JSON has no tab, newline or backslash, checked) with a fresh consumer group, and a
 *     materialized view that extracts the same typed columns with visitParamExtract* (18.16 has
 *     no JSONExtract) into the same `events` table. 18.16 does not cascade views, so beside it
 *     there is one view per view the migrations put on `events` (sink_landed, events_by_time, the
 *     three rollups), same SELECT over the extracted columns: the same tables are filled per
 *     block. Timed from creating its tables (consumer start included) until `events` holds N
 *     rows. No validation, cleaning rules, dedup or offset bookkeeping; bus_partition/bus_offset
 *     are 0 (18.16's Kafka engine has no _partition/_offset virtual columns). Its background
 *     flush: max_block_size rows or stream_flush_interval_ms, whichever first (server settings,
 *     reported).
 *
 * Both sides: rows/s = N / seconds; the rate between 10 % and 90 % of N (no start-up, no tail);
 * CPU seconds of this process (resourceMeter) and of the ClickHouse and Kafka servers (/proc);
 * this process's peak RSS. A fingerprint of the stored rows and rollups checks that B stored
 * what A stored.
 *
 *   scripts/services.sh up && npm run bench -- kafka-engine     (BENCH_SMOKE=1: 20k events, 1 round)
 */

const PARTITIONS = 12;
const POLL_MS = 100;

interface Timing {
  seconds: number;
  first_row_seconds: number;
  rate: number;
  rate_10_90: number;
  node: { cpu_seconds: number; peak_rss_mb: number };
  servers: { clickhouse_cpu_seconds: number; kafka_cpu_seconds: number };
  /** Ours only: events the worker sent to events.dlq (counted as handled, not stored). */
  dlq?: number;
  /** Ours only: handler calls (each one store write: one INSERT) and the seconds spent in them. */
  batches?: number;
  handler_seconds?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Produces n generated events in chunks, never holding them all; returns the mean message size. */
async function produceEvents(bus: KafkaBus, topic: string, n: number): Promise<{ bytes: number }> {
  const gen = createGenerator({ seed: 7 });
  const chunk = 1000;
  let bytes = 0;
  let produced = 0;
  const inFlight = new Set<Promise<void>>();
  while (produced < n) {
    const messages: OutgoingMessage[] = gen.batch(Math.min(chunk, n - produced)).map((e) => {
      const value = JSON.stringify(e);
      // One Kafka message must be one TabSeparated line with nothing to unescape.
      if (/[\t\n\r\\]/.test(value)) throw new Error(`generated event ${e.event_id} contains a tab, newline or backslash: the TabSeparated engine table would alter it`);
      bytes += Buffer.byteLength(value);
      return { key: e.user_id ?? e.anonymous_id ?? 'anonymous', value };
    });
    produced += messages.length;
    const p = bus.produce(topic, messages).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return { bytes: bytes / n };
}

/**
 * Polls count() of `events` (plus `elsewhere()`: events our worker sent to the DLQ instead) until
 * n events are accounted for; returns the timeline.
 */
async function waitForRows(client: ClickHouseClient, n: number, t0: number, timeoutMs: number, elsewhere: () => Promise<number> = async () => 0): Promise<{ t: number; n: number }[]> {
  const timeline: { t: number; n: number }[] = [];
  for (;;) {
    const rs = await client.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string }>();
    const count = Number(row?.n ?? 0) + (await elsewhere());
    const t = (performance.now() - t0) / 1000;
    if (timeline.length === 0 || count !== timeline.at(-1)!.n) timeline.push({ t, n: count });
    if (count >= n) return timeline;
    if (t * 1000 > timeoutMs) throw new Error(`only ${count} of ${n} rows after ${Math.round(t)} s`);
    await sleep(POLL_MS);
  }
}

function timingOf(timeline: { t: number; n: number }[], n: number, node: Timing['node'], servers: Timing['servers']): Timing {
  const at = (share: number) => timeline.find((p) => p.n >= share * n)!.t;
  const seconds = timeline.at(-1)!.t;
  const span = at(0.9) - at(0.1);
  return {
    seconds,
    first_row_seconds: timeline.find((p) => p.n > 0)!.t,
    rate: n / seconds,
    // Rows between the samples that crossed 10 % and 90 % (a single insert may cross both: then the whole run).
    rate_10_90: span > 0 ? (timeline.find((p) => p.n >= 0.9 * n)!.n - timeline.find((p) => p.n >= 0.1 * n)!.n) / span : n / seconds,
    node,
    servers,
  };
}

export async function kafkaEngineBench(opts: { events: number; rounds: number; warmup: boolean; engineConsumers?: number }) {
  const n = opts.events;
  const id = randomUUID().slice(0, 8);
  const prefix = `bench-keng-${id}-`;
  const topics = topicNames(prefix);
  const logger = createLogger('warn');
  const databases: string[] = [];
  const groups: string[] = [];
  const admin = createClient({ url: CLICKHOUSE_URL, database: 'system' });
  const setupBus = new KafkaBus({ brokers: KAFKA_BROKERS, topicConfig: { 'retention.ms': '-1' } });
  const timeoutMs = Math.max(180_000, n * 2);
  const consumers = opts.engineConsumers ?? 1;
  const views = engineViews(topics.raw);

  const freshDatabase = async (name: string) => {
    databases.push(name);
    const store = await ClickHouseLiveStore.open({ url: CLICKHOUSE_URL, database: name });
    await store.migrate();
    return store;
  };
  const endRound = async (client: ClickHouseClient, database: string, group: string) => {
    const fp = await fingerprint(client);
    await client.close();
    await dropDatabases([database]);
    databases.splice(databases.indexOf(database), 1);
    await deleteKafka([], [group]);
    groups.splice(groups.indexOf(group), 1);
    return fp;
  };

  /** A: our realtime worker with a fresh group (the topic prefix's `realtime` group is deleted after each round). */
  const ours = async (round: string): Promise<{ timing: Timing; fp: Record<string, string> }> => {
    const database = `bench_keng_${id}_a_${round}`;
    const config = loadConfig({
      DISTRIBUTARY_BUS: 'kafka', DISTRIBUTARY_LIVE_STORE: 'clickhouse', DISTRIBUTARY_TOPIC_PREFIX: prefix, DISTRIBUTARY_PARTITIONS: String(PARTITIONS),
      CLICKHOUSE_DATABASE: database, KAFKA_BROKERS: KAFKA_BROKERS.join(','), CLICKHOUSE_URL, DISTRIBUTARY_LOG_LEVEL: 'warn',
    });
    const group = `${prefix}realtime`;
    groups.push(group);
    const store = await freshDatabase(database);
    const bus = new KafkaBus({ brokers: config.kafkaBrokers, logger });
    const client = createClient({ url: CLICKHOUSE_URL, database });
    const dlqEnd = async () => (await bus.endOffsets(topics.dlq)).reduce((x, y) => x + y, 0);
    const dlqBefore = await dlqEnd();
    const meter = resourceMeter();
    const servers = serverMeter();
    const t0 = performance.now();
    const metrics = createMetrics();
    const worker = await startRealtimeWorker({ config, bus, metrics, logger, store });
    let timeline: { t: number; n: number }[];
    try {
      timeline = await waitForRows(client, n, t0, timeoutMs, async () => (await dlqEnd()) - dlqBefore);
    } finally {
      await worker.stop();
    }
    const batches = (await metrics.batchSeconds.get()).values.filter((v) => v.labels.stage === 'realtime');
    const timing: Timing = {
      ...timingOf(timeline, n, meter(), servers()),
      dlq: (await dlqEnd()) - dlqBefore,
      batches: batches.find((v) => v.metricName?.endsWith('_count'))?.value,
      handler_seconds: batches.find((v) => v.metricName?.endsWith('_sum'))?.value,
    };
    await store.close();
    await bus.close();
    return { timing, fp: await endRound(client, database, group) };
  };

  /** B: ClickHouse's Kafka engine + materialized view into the migrated `events` table. */
  const engine = async (round: string): Promise<{ timing: Timing; fp: Record<string, string> }> => {
    const database = `bench_keng_${id}_b_${round}`;
    const group = `${prefix}ch-engine-${round}`;
    groups.push(group);
    await (await freshDatabase(database)).close();
    const client = createClient({ url: CLICKHOUSE_URL, database });
    const meter = resourceMeter();
    const servers = serverMeter();
    const t0 = performance.now();
    // Views need their source to exist, and the engine starts consuming once a view is on it: so
    // every view goes on a placeholder first, which is then replaced by the Kafka table.
    await client.command({ query: 'CREATE TABLE kafka_raw (raw String) ENGINE = Null' });
    for (const view of views) await client.command({ query: view });
    await client.command({ query: 'DROP TABLE kafka_raw' });
    await client.command({
      query: `CREATE TABLE kafka_raw (raw String) ENGINE = Kafka(${clickhouseString(KAFKA_BROKERS.join(','))}, ${clickhouseString(topics.raw)}, ${clickhouseString(group)}, 'TabSeparated', '\\n', '', ${consumers})`,
    });
    let timeline: { t: number; n: number }[];
    try {
      timeline = await waitForRows(client, n, t0, timeoutMs);
    } finally {
      await client.command({ query: 'DROP TABLE IF EXISTS kafka_raw' });
    }
    const timing = timingOf(timeline, n, meter(), servers());
    await sleep(1000); // anything past N (duplicates) would show in the fingerprint
    return { timing, fp: await endRound(client, database, group) };
  };

  try {
    const [settings, version] = await Promise.all([
      admin.query({ query: "SELECT name, value FROM system.settings WHERE name IN ('max_block_size', 'stream_flush_interval_ms')", format: 'JSONEachRow' }).then((r) => r.json<{ name: string; value: string }>()),
      admin.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' }).then((r) => r.json<{ v: string }>()),
    ]);
    for (const name of Object.values(topics)) await setupBus.ensureTopic({ name, partitions: PARTITIONS });
    const t = performance.now();
    const { bytes } = await produceEvents(setupBus, topics.raw, n);
    const produceSeconds = (performance.now() - t) / 1000;
    const stored = (await setupBus.endOffsets(topics.raw)).reduce((a, b) => a + b, 0);
    if (stored !== n) throw new Error(`${topics.raw} holds ${stored} messages, ${n} produced`);

    if (opts.warmup) {
      process.stdout.write('kafka-engine: warm-up pair (not recorded)\n');
      await ours('warm');
      await engine('warm');
    }
    const a: Timing[] = [];
    const b: Timing[] = [];
    const fps: { a: Record<string, string>; b: Record<string, string> }[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const ra = await ours(String(i));
      const rb = await engine(String(i));
      a.push(ra.timing);
      b.push(rb.timing);
      fps.push({ a: ra.fp, b: rb.fp });
      process.stdout.write(`kafka-engine round ${i + 1}/${opts.rounds}: ours ${Math.round(ra.timing.rate)} rows/s in ${ra.timing.seconds.toFixed(1)} s; engine ${Math.round(rb.timing.rate)} rows/s in ${rb.timing.seconds.toFixed(1)} s\n`);
    }

    const differingAll = [...new Set(fps.flatMap(({ a: fa, b: fb }) => Object.keys(fa).filter((k) => fa[k] !== fb[k])))];
    const differing = differingAll.filter((k) => !RULE_REWRITTEN.has(k));
    const rewritten = differingAll.filter((k) => RULE_REWRITTEN.has(k));
    const sa = stats(a.map((x) => x.rate));
    const sb = stats(b.map((x) => x.rate));
    const sa1090 = stats(a.map((x) => x.rate_10_90));
    const sb1090 = stats(b.map((x) => x.rate_10_90));
    const pairRatios = a.map((x, i) => x.rate / b[i].rate);
    const pair1090 = a.map((x, i) => x.rate_10_90 / b[i].rate_10_90);
    const med = (xs: number[]) => stats(xs).median;
    const cost = (ts: Timing[]) => ({
      node_cpu_seconds: stats(ts.map((x) => x.node.cpu_seconds)),
      node_peak_rss_mb: stats(ts.map((x) => x.node.peak_rss_mb)),
      clickhouse_cpu_seconds: stats(ts.map((x) => x.servers.clickhouse_cpu_seconds)),
      kafka_cpu_seconds: stats(ts.map((x) => x.servers.kafka_cpu_seconds)),
    });
    const results = {
      clickhouse_version: version[0]?.v,
      clickhouse_settings: Object.fromEntries(settings.map((s) => [s.name, s.value])),
      topic: topics.raw,
      partitions: PARTITIONS,
      avg_message_bytes: Math.round(bytes),
      produce_seconds: produceSeconds,
      ours: { rows_per_sec: sa, rows_per_sec_10_90: sa1090, cost: cost(a), rounds: a },
      engine: { rows_per_sec: sb, rows_per_sec_10_90: sb1090, cost: cost(b), rounds: b, consumers },
      ratio_ours_to_engine: { of_medians: sa.median / sb.median, pairwise: stats(pairRatios), target: 1.0 },
      ratio_ours_to_engine_10_90: { of_medians: sa1090.median / sb1090.median, pairwise: stats(pair1090) },
      same_rows_stored: differing.length === 0,
      rule_rewritten_columns_differing: rewritten,
      ours_dlq_per_round: a.map((x) => x.dlq ?? 0),
      ours_batches_per_round: a.map((x) => ({ batches: x.batches, mean_events_per_batch: x.batches ? Math.round(n / x.batches) : undefined, handler_seconds: x.handler_seconds })),
      code: codeState(),
      fingerprint_differences: differingAll.map((k) => ({ key: k, ours: fps.map((f) => f.a[k]), engine: fps.map((f) => f.b[k]) })),
      fingerprints: fps,
      what_each_side_does: {
        ours: 'startRealtimeWorker (stream realtime): kafkajs consumer, JSON parse, schema validation (ajv), cleaning rules, dedup, exactly-once write (watermark + landed lookups, INSERT into events → MVs: sink_landed, events_by_time, kpi_minute, trending_minute, user_minute; watermark insert)',
        engine: `Kafka engine table (1 String column, TabSeparated, ${consumers} consumer) → a view extracting the same columns with visitParamExtract* into the same migrated events table, plus one view per view on events (sink_landed, events_by_time, 3 rollups; 18.16 does not cascade views) with the same SELECT over the extracted columns. No validation, cleaning rules, dedup or offset bookkeeping.`,
      },
    };
    const range = (s: { median: number; min: number; max: number }) => `${Math.round(s.median)} (${Math.round(s.min)}–${Math.round(s.max)})`;
    const c = (ts: Timing[], k: 'cpu' | 'ch' | 'kafka') => ts.map((x) => (k === 'cpu' ? x.node.cpu_seconds : k === 'ch' ? x.servers.clickhouse_cpu_seconds : x.servers.kafka_cpu_seconds).toFixed(1)).join(' / ');
    report('kafka-engine', { events: n, rounds: opts.rounds, warmup: opts.warmup, partitions: PARTITIONS, engine_consumers: consumers, poll_ms: POLL_MS }, [
      { side: 'A ours: realtime worker', 'rows/s to all N': range(sa), 'rows/s 10→90 %': range(sa1090), 'first row s': a.map((x) => x.first_row_seconds.toFixed(1)).join(' / '), 'CPU s node | clickhouse | kafka': `${c(a, 'cpu')} | ${c(a, 'ch')} | ${c(a, 'kafka')}`, 'node peak RSS MB': a.map((x) => x.node.peak_rss_mb).join(' / ') },
      { side: 'B ClickHouse Kafka engine + MV', 'rows/s to all N': range(sb), 'rows/s 10→90 %': range(sb1090), 'first row s': b.map((x) => x.first_row_seconds.toFixed(1)).join(' / '), 'CPU s node | clickhouse | kafka': `${c(b, 'cpu')} | ${c(b, 'ch')} | ${c(b, 'kafka')}`, 'node peak RSS MB': b.map((x) => x.node.peak_rss_mb).join(' / ') },
      { side: 'ratio A / B (target ≥ 1.0)', 'rows/s to all N': `${(sa.median / sb.median).toFixed(2)} (pairs ${pairRatios.map((r) => r.toFixed(2)).join(' / ')})`, 'rows/s 10→90 %': `${(sa1090.median / sb1090.median).toFixed(2)} (pairs ${pair1090.map((r) => r.toFixed(2)).join(' / ')})`, 'first row s': '', 'CPU s node | clickhouse | kafka': `total CPU s A ${med(a.map((x) => x.node.cpu_seconds + x.servers.clickhouse_cpu_seconds + x.servers.kafka_cpu_seconds)).toFixed(1)} vs B ${med(b.map((x) => x.node.cpu_seconds + x.servers.clickhouse_cpu_seconds + x.servers.kafka_cpu_seconds)).toFixed(1)}`, 'node peak RSS MB': '' },
    ], results);
    process.stdout.write(`A: ${results.what_each_side_does.ours}\nB: ${results.what_each_side_does.engine}\n`);
    process.stdout.write(`B's flush: every ${results.clickhouse_settings.max_block_size} rows or ${results.clickhouse_settings.stream_flush_interval_ms} ms (server settings). Same rows and rollups stored by A and B: ${differing.length === 0 ? 'yes' : `NO, differing: ${differing.join(', ')}`}${rewritten.length > 0 ? ` (columns our cleaning rules rewrite differ, as expected: ${rewritten.join(', ')})` : ''}; events ours sent to the DLQ: ${a.map((x) => x.dlq ?? 0).join(' / ')}\n`);
    process.stdout.write("Node CPU and RSS are this process's: in B it only polls count() (its RSS is what A's rounds left). Server CPU is the whole server process's, whoever else used it.\n");
    process.stdout.write(`A's store writes (one INSERT each) per round: ${a.map((x) => `${x.batches} (mean ${x.batches ? Math.round(n / x.batches) : '?'} events, ${x.handler_seconds?.toFixed(1)} s in the handler)`).join(' / ')}\n`);
    return results;
  } finally {
    await admin.close();
    await setupBus.close();
    await dropDatabases(databases.splice(0)).catch(() => undefined);
    await deleteKafka(Object.values(topics), groups.splice(0)).catch((err: unknown) => process.stderr.write(`bench: cleanup failed: ${String(err)}\n`));
  }
}

if (require.main === module) {
  const smoke = process.env.BENCH_SMOKE === '1';
  kafkaEngineBench({ events: smoke ? 20_000 : 200_000, rounds: smoke ? 1 : 3, warmup: !smoke }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
