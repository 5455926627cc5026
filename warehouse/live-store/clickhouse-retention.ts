import type { ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../../lib/errors';
import { clickhouseString, sqlNumber } from '../../lib/sql-literal';
import { readRows, runCommand, sleep } from './clickhouse-connection';
import { ROLLUP_TABLES } from './clickhouse-rollups';

/**
 * Retention of the ClickHouse live store (`deleteOlderThan`) on a server without TTL: partitions of
 * whole UTC days are dropped, what is left of the cutoff's day goes with an awaited ALTER DELETE.
 */

/** Tables that only hold what was derived from events, partitioned by the same UTC day as events. */
const DERIVED_BY_DAY = ['events_by_time', ...ROLLUP_TABLES];

const DAY_MS = 86_400_000;

/**
 * Deletes events and DLQ entries received (failed) before the cutoff. ClickHouse 18.16 has no TTL:
 * whole UTC days go with ALTER TABLE ... DROP PARTITION (cheap), the rest with an ALTER DELETE
 * mutation, awaited. The derived tables (rollups, events_by_time) hold no per-row receive time;
 * a day of them is dropped once no event of that day is left, so until then the KPI and trending
 * views still count that day's deleted events (see README.md).
 */
export async function deleteOlderThan(client: ClickHouseClient, cutoffMs: number): Promise<void> {
  const cutoff = sqlNumber(Math.trunc(cutoffMs));
  try {
    // Days of events: those where every row was received before the cutoff go whole.
    const days = await readRows<{ day: number; newest: string }>(
      client, 'SELECT toYYYYMMDD(occurred_at) AS day, max(received_ms) AS newest FROM events GROUP BY day',
    );
    const keep = new Set(days.filter((d) => Number(d.newest) >= cutoffMs).map((d) => Number(d.day)));
    for (const d of days) if (!keep.has(Number(d.day))) await dropPartition(client, 'events', Number(d.day));
    if (await count(client, `events WHERE received_ms < ${cutoff}`)) await mutate(client, 'events', `received_ms < ${cutoff}`);

    // Derived tables: a day none of whose events are left, and which ended before the cutoff.
    for (const table of DERIVED_BY_DAY) {
      for (const day of await partitions(client, table)) {
        if (!keep.has(day) && dayEndMs(day) <= cutoffMs) await dropPartition(client, table, day);
      }
    }
    // Offsets that landed are only consulted at/above the watermark, i.e. for recent batches.
    for (const day of await partitions(client, 'sink_landed')) if (dayEndMs(day) <= cutoffMs) await dropPartition(client, 'sink_landed', day);

    for (const day of await partitions(client, 'dlq')) if (dayEndMs(day) <= cutoffMs) await dropPartition(client, 'dlq', day);
    if (await count(client, `dlq WHERE failed_ms < ${cutoff}`)) await mutate(client, 'dlq', `failed_ms < ${cutoff}`);
    for (const day of await partitions(client, 'quality_reports')) if (dayEndMs(day) <= cutoffMs) await dropPartition(client, 'quality_reports', day);
    if (await count(client, `quality_reports WHERE hour_ms < ${cutoff}`)) await mutate(client, 'quality_reports', `hour_ms < ${cutoff}`);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError('ClickHouse live store retention failed', true, { cause: err });
  }
}

async function partitions(client: ClickHouseClient, table: string): Promise<number[]> {
  const rows = await readRows<{ partition: string }>(
    client, `SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = ${clickhouseString(table)} AND active`,
  );
  return rows.map((r) => Number(r.partition)).filter(Number.isInteger);
}

async function dropPartition(client: ClickHouseClient, table: string, day: number): Promise<void> {
  await runCommand(client, `ALTER TABLE ${table} DROP PARTITION ${sqlNumber(day)}`);
}

async function count(client: ClickHouseClient, from: string): Promise<number> {
  const [r] = await readRows<{ n: string }>(client, `SELECT count() AS n FROM ${from}`);
  return Number(r.n);
}

/** ALTER ... DELETE, then waits until ClickHouse has applied it (18.16 has no mutations_sync). */
async function mutate(client: ClickHouseClient, table: string, where: string, timeoutMs = 600_000): Promise<void> {
  await runCommand(client, `ALTER TABLE ${table} DELETE WHERE ${where}`);
  const deadline = Date.now() + timeoutMs;
  while (await count(client, `system.mutations WHERE database = currentDatabase() AND table = ${clickhouseString(table)} AND is_done = 0`)) {
    if (Date.now() > deadline) throw new StoreError(`ClickHouse: mutation on ${table} not done after ${timeoutMs} ms`, true);
    await sleep(50);
  }
}

/** Epoch ms at which the UTC day YYYYMMDD ends. */
function dayEndMs(day: number): number {
  const y = Math.floor(day / 10_000), m = Math.floor(day / 100) % 100, d = day % 100;
  return Date.UTC(y, m - 1, d) + DAY_MS;
}
