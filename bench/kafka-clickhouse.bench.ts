import { createClient } from '@clickhouse/client';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '../lib/config';
import { topicNames } from '../stream/bus';
import { e2eBench, latencyBench } from './e2e.bench';
import { report } from './lib/report';

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

export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((b) => b.trim()).filter(Boolean);
export const CLICKHOUSE_URL = process.env.CLICKHOUSE_URL ?? 'http://127.0.0.1:18123';

/** Drops ClickHouse databases made by a benchmark (never fails the benchmark: it says what it left). */
export async function dropDatabases(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const admin = createClient({ url: CLICKHOUSE_URL, database: 'system' });
  try {
    for (const db of names) {
      await admin.command({ query: `DROP DATABASE IF EXISTS \`${db}\`` }).catch((err: unknown) => process.stderr.write(`bench: could not drop database ${db}: ${String(err)}\n`));
    }
  } finally {
    await admin.close();
  }
}

/** Deletes benchmark topics and consumer groups with the Kafka admin (missing ones are fine). */
export async function deleteKafka(topics: string[], groups: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'distributary-bench-cleanup', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if (groups.length > 0) {
      // A group whose members have just left can still be "non-empty" for a moment.
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await admin.deleteGroups(groups);
          break;
        } catch (err) {
          const failed = ((err as { groups?: { groupId: string; errorCode: number }[] }).groups ?? []).filter((g) => g.errorCode !== 0 && g.errorCode !== 69 /* GROUP_ID_NOT_FOUND */);
          if (failed.length === 0) break;
          if (attempt === 4) process.stderr.write(`bench: could not delete consumer groups ${failed.map((g) => g.groupId).join(', ')}\n`);
          groups = failed.map((g) => g.groupId);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 }).catch((err: unknown) => process.stderr.write(`bench: could not delete topics ${doomed.join(', ')}: ${String(err)}\n`));
  } finally {
    await admin.disconnect();
  }
}

/** Pids of the local service processes (scripts/services.sh keeps them in .services/run). */
function servicePid(name: 'clickhouse' | 'kafka'): number | undefined {
  const dir = process.env.DISTRIBUTARY_SERVICES_DIR ?? path.resolve(__dirname, '../.services');
  try {
    const pid = Number(fs.readFileSync(path.join(dir, 'run', `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && fs.existsSync(`/proc/${pid}/stat`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds (Linux /proc, USER_HZ 100). */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

/** CPU seconds the ClickHouse and Kafka servers used between two calls (NaN where the pid is unknown). */
export function serverMeter() {
  const pids = { clickhouse: servicePid('clickhouse'), kafka: servicePid('kafka') };
  const start = { clickhouse: cpuSecondsOf(pids.clickhouse), kafka: cpuSecondsOf(pids.kafka) };
  return () => ({
    clickhouse_cpu_seconds: Number((cpuSecondsOf(pids.clickhouse) - start.clickhouse).toFixed(2)),
    kafka_cpu_seconds: Number((cpuSecondsOf(pids.kafka) - start.kafka).toFixed(2)),
  });
}

/** The code measured: commit and the uncommitted paths that run in the benchmark (other work may be in progress). */
export function codeState(): { commit: string; uncommitted: string[] } {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: path.resolve(__dirname, '..'), encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return { commit: git(['rev-parse', '--short', 'HEAD']), uncommitted: git(['status', '--porcelain', '--', 'stream', 'warehouse', 'contract', 'ingest', 'cli', 'lib', 'sql', 'rules']).split('\n').filter(Boolean) };
}

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
