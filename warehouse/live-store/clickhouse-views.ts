import { sqlNumber } from '../../lib/sql-literal';
import type { DlqEntry, HourReport, TrendingProduct, WorkerHourReport } from '../live-store';
import { trendingRollupSql } from './clickhouse-rollup-queries';
import { trendingProductFrom, type ViewReader } from './view-results';

/**
 * The ClickHouse live store's reads that are not shared with DuckDB: trending over the rollup, the
 * DLQ, quality reports, recent event ids and freshness, decoded from JSONEachRow (64-bit integers
 * arrive as strings). Each runs through the store's read connections (`db.query`).
 */

/** The latest report of each worker for each hour since `sinceMs` (the table keeps every rewrite). */
export async function readQualityReports(db: ViewReader, sinceMs: number): Promise<WorkerHourReport[]> {
  const rows = await db.query<{ worker: string; report: string }>(
    `SELECT worker, argMax(report, written_ms) AS report FROM quality_reports WHERE hour_ms >= ${sqlNumber(Math.trunc(sinceMs))} GROUP BY hour_ms, worker ORDER BY hour_ms, worker`);
  return rows.map((r) => ({ worker: r.worker, report: JSON.parse(r.report) as HourReport }));
}

/** Ids of the events received since `sinceMs`. */
export async function readRecentEventIds(db: ViewReader, sinceMs: number): Promise<string[]> {
  const rows = await db.query<{ event_id: string }>(`SELECT event_id FROM events WHERE received_ms >= ${sqlNumber(Math.trunc(sinceMs))}`);
  return rows.map((r) => r.event_id);
}

/** Trending products of the window ending at `asOf`, from the per-minute rollup plus its edges. */
export async function readTrending(db: ViewReader, windowMs: number, asOf: number, limit: number): Promise<TrendingProduct[]> {
  const rows = await db.query<Record<string, unknown>>(trendingRollupSql(asOf - windowMs, asOf, limit));
  return rows.map(trendingProductFrom);
}

/** The newest DLQ entries failed since `sinceMs`, newest first. */
export async function readDlq(db: ViewReader, limit: number, sinceMs: number): Promise<DlqEntry[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT stage, reason, rule, errors, event_id, payload, failed_ms FROM dlq WHERE failed_ms >= ${sqlNumber(Math.trunc(sinceMs))} ORDER BY failed_ms DESC LIMIT ${sqlNumber(Math.trunc(limit))}`,
  );
  return rows.map((r) => ({
    stage: String(r.stage),
    reason: String(r.reason),
    rule: (r.rule as string | null) ?? null,
    errors: JSON.parse(String(r.errors)) as string[],
    event_id: (r.event_id as string | null) ?? null,
    payload: String(r.payload),
    failed_at: Number(r.failed_ms),
  }));
}

/** Newest event times and the event count (null times when the store is empty). */
export async function readFreshness(db: ViewReader): Promise<{ lastOccurredAt: number | null; lastReceivedAt: number | null; events: number }> {
  const [r] = await db.query<{ o: string | null; r: string | null; n: string }>(
    'SELECT max(toNullable(occurred_ms)) AS o, max(toNullable(received_ms)) AS r, count() AS n FROM events',
  );
  return { lastOccurredAt: r.o === null ? null : Number(r.o), lastReceivedAt: r.r === null ? null : Number(r.r), events: Number(r.n) };
}
