import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../lib/config';
import { topicNames } from '../stream/bus';
import { e2eBench, latencyBench } from './e2e.bench';
import { report } from './lib/report';
import { CLICKHOUSE_URL, KAFKA_BROKERS, codeState, deleteKafka, dropDatabases, serverMeter } from './lib/servers';

/**
 * The end-to-end benchmark (bench/e2e.bench.ts) with the servers: DISTRIBUTARY_BUS=kafka and
 * DISTRIBUTARY_LIVE_STORE=clickhouse, the whole platform in this process (startAll), Kafka and
 * ClickHouse as separate processes on the same machine. Every platform started gets its own
 * topic prefix (topics and consumer groups) and ClickHouse database; both are deleted after
 * its round. Besides the Node process's CPU and peak RSS (reported by e2e.bench.ts), the CPU
 * seconds of the ClickHouse and Kafka server processes are read from /proc for each round.
 *
 *   scripts/services.sh up && npm run bench -- kafka-clickhouse     (BENCH_SMOKE=1: quick;
 *   BENCH_KCH_ONLY=latency or e2e: one half)
 */

interface Round {
  prefix: string;
  database: string;
}

export async function kafkaClickhouseBench(opts: { seconds: number; rounds: number; latencySeconds: number; rate: number; pollMs?: number; only?: 'e2e' | 'latency' }) {
  const run = randomUUID().slice(0, 8);
  let n = 0;
  const pending: Round[] = [];
  const serverCost: ReturnType<ReturnType<typeof serverMeter>>[] = [];
  let meter: ReturnType<typeof serverMeter> | undefined;
  const fresh = (): Record<string, string> => {
    const id = `${run}_${n++}`;
    const round = { prefix: `bench-kch-${id}-`, database: `bench_kch_${id}` };
    pending.push(round);
    meter = serverMeter();
    return { DISTRIBUTARY_BUS: 'kafka', DISTRIBUTARY_LIVE_STORE: 'clickhouse', DISTRIBUTARY_TOPIC_PREFIX: round.prefix, CLICKHOUSE_DATABASE: round.database };
  };
  const cleanup = async () => {
    if (meter) serverCost.push(meter());
    meter = undefined;
    const rounds = pending.splice(0);
    if (rounds.length === 0) return;
    await dropDatabases(rounds.map((r) => r.database));
    await deleteKafka(
      rounds.flatMap((r) => Object.values(topicNames(r.prefix))),
      rounds.flatMap((r) => ['realtime', 'lake', 'dlq-store'].map((g) => `${r.prefix}${g}`)),
    );
  };

  try {
    if (opts.only === 'latency') {
      await latencyBench({ seconds: opts.latencySeconds, rate: opts.rate, name: 'kafka-clickhouse-latency', env: fresh, pollMs: opts.pollMs ?? 50 });
      return undefined;
    }
    const e2e = await e2eBench({ seconds: opts.seconds, rounds: opts.rounds, name: 'kafka-clickhouse-e2e', env: fresh, afterRound: cleanup });
    const e2eServers = serverCost.splice(0);
    if (opts.only === 'e2e') return undefined;
    const latency = await latencyBench({ seconds: opts.latencySeconds, rate: opts.rate, name: 'kafka-clickhouse-latency', env: fresh, pollMs: opts.pollMs ?? 50 });
    await cleanup();
    const latencyServers = serverCost.splice(0);

    const sustained = e2e.sustained_both_paths_events_per_sec;
    const results = {
      mode: { DISTRIBUTARY_BUS: 'kafka', DISTRIBUTARY_LIVE_STORE: 'clickhouse', partitions_per_topic: loadConfig({}).partitions, brokers: KAFKA_BROKERS, clickhouse: CLICKHOUSE_URL },
      sustained_both_paths_events_per_sec: sustained,
      sustained_target: 25_000,
      sustained_meets_target: sustained.median >= 25_000,
      e2e_node_cost_per_round: e2e.cost,
      e2e_server_cpu_per_round: e2eServers,
      lag_at_end_of_load: e2e.lag_at_end_of_load,
      drain_seconds: e2e.drain_seconds,
      latency,
      latency_server_cpu: latencyServers[0],
      latency_p99_target_ms: 2000,
      // Met only if every probe became visible and the offered load was actually delivered.
      latency_meets_target: latency.p99_ms <= 2000 && latency.probes === latency.probes_sent && latency.achieved_rate >= 0.95 * opts.rate,
      code: codeState(),
    };
    const cpu = (xs: { cpu_seconds?: number; clickhouse_cpu_seconds?: number; kafka_cpu_seconds?: number }[], k: 'cpu_seconds' | 'clickhouse_cpu_seconds' | 'kafka_cpu_seconds') => xs.map((x) => (x[k] ?? NaN).toFixed(1)).join(' / ');
    report('kafka-clickhouse', { ...opts, pollMs: opts.pollMs ?? 50 }, [
      { measure: 'sustained into both paths, events/s (median, min–max)', value: `${Math.round(sustained.median)} (${Math.round(sustained.min)}–${Math.round(sustained.max)})`, target: '≥ 25000', verdict: results.sustained_meets_target ? 'met' : 'NOT met' },
      { measure: 'lag at end of load / drain s, per round', value: `${e2e.lag_at_end_of_load.join(' / ')} msgs / ${e2e.drain_seconds.map((d) => d.toFixed(1)).join(' / ')} s`, target: '', verdict: '' },
      { measure: 'CPU s per round: node / clickhouse / kafka', value: `${cpu(e2e.cost, 'cpu_seconds')} | ${cpu(e2eServers, 'clickhouse_cpu_seconds')} | ${cpu(e2eServers, 'kafka_cpu_seconds')}`, target: '', verdict: '' },
      { measure: 'node peak RSS MB per round', value: e2e.cost.map((c) => c.peak_rss_mb).join(' / '), target: '', verdict: '' },
      { measure: `accepted → visible p50 / p99 / max at ${opts.rate}/s`, value: `${latency.p50_ms.toFixed(0)} / ${latency.p99_ms.toFixed(0)} / ${latency.max_ms.toFixed(0)} ms (${latency.probes}/${latency.probes_sent} probes visible, poll ${opts.pollMs ?? 50} ms, achieved ${Math.round(latency.achieved_rate)}/s)`, target: 'p99 ≤ 2000 ms', verdict: results.latency_meets_target ? 'met' : 'NOT met' },
      { measure: 'latency run CPU s: clickhouse / kafka', value: `${latencyServers[0]?.clickhouse_cpu_seconds ?? NaN} / ${latencyServers[0]?.kafka_cpu_seconds ?? NaN}`, target: '', verdict: '' },
    ], results);
    return results;
  } finally {
    await cleanup().catch((err: unknown) => process.stderr.write(`bench: cleanup failed: ${String(err)}\n`));
  }
}

/**
 * Runs this benchmark in a child `node --import tsx`. bin/bench.js loads only tsx's CommonJS
 * hook, and cli/adapters.ts opens the Kafka bus and ClickHouse store with a dynamic import()
 * that Node's ESM resolver then fails on ('../stream/bus/kafka' is extensionless, and also a
 * directory): with the full tsx loader it resolves, as for `node --import tsx cli/main.ts`.
 */
export function kafkaClickhouseBenchInChild(smoke: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename], { env: { ...process.env, BENCH_SMOKE: smoke ? '1' : '0' }, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`kafka-clickhouse benchmark exited with ${code ?? signal}`))));
  });
}

if (require.main === module) {
  const smoke = process.env.BENCH_SMOKE === '1';
  const only = process.env.BENCH_KCH_ONLY; // e2e or latency: one half, while tuning
  kafkaClickhouseBench({ seconds: smoke ? 5 : 60, rounds: smoke ? 1 : 2, latencySeconds: smoke ? 5 : 60, rate: 5000, only: only === 'e2e' || only === 'latency' ? only : undefined }).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
