import { createClient } from '@clickhouse/client';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The benchmarks' side of the local servers (scripts/services.sh): where they listen, the
 * CPU their processes used, and cleaning up the topics, groups and databases a run made.
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
  const dir = process.env.DISTRIBUTARY_SERVICES_DIR ?? path.resolve(__dirname, '../../.services');
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
      return execFileSync('git', args, { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return { commit: git(['rev-parse', '--short', 'HEAD']), uncommitted: git(['status', '--porcelain', '--', 'stream', 'warehouse', 'contract', 'ingest', 'cli', 'lib', 'sql', 'rules']).split('\n').filter(Boolean) };
}
