import type { ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { runMigrations } from '../../lib/migrations';
import type { DlqEntry, HourReport, KpiReport, LiveEvent, LiveStore, TrendingProduct, UserFeatures, Watermarks, WorkerHourReport } from '../live-store';
import { clickhouseDialect } from '../live-views';
import { connect, insertRows, readRows, runCommand } from './clickhouse-connection';
import { deleteOlderThan } from './clickhouse-retention';
import { clickhouseRollupDialect } from './clickhouse-rollup-queries';
import { dlqRow, qualityReportRow } from './clickhouse-rows';
import { readDlq, readFreshness, readQualityReports, readRecentEventIds, readTrending } from './clickhouse-views';
import { ClickHouseEventWriter } from './clickhouse-write';
import { buildKpiReport, buildUserFeatures, type ViewReader } from './view-results';
import { assetPath } from '../../lib/package-root';

const MIGRATIONS = assetPath('sql', 'clickhouse');

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** How to reach the server, and the test seam of the exactly-once write path. */
export interface ClickHouseLiveStoreOptions {
  url: string;
  database: string;
  logger?: Logger;
  /** Per-request timeout (ms). Inserts of large batches need more than the client's 30 s default. */
  requestTimeoutMs?: number;
  /**
   * Test seam: runs after a batch's rows are inserted and before the watermark moves. Throwing here
   * is a worker killed in the crash window that exactly-once has to survive.
   */
  afterInsert?: (topic: string, rows: LiveEvent[]) => void | Promise<void>;
}

/**
 * Live store on ClickHouse (18.16 and current). Events go to a MergeTree table ordered by
 * (user_key, occurred_ms); materialized views feed the per-minute rollups the KPI and trending
 * queries read (warehouse/live-store/clickhouse-rollups.ts), the time-ordered copy their window
 * edges read, and `sink_landed`, the record of which bus offsets landed. Writes are exactly once
 * under redelivery without transactions or insert deduplication (clickhouse-write.ts): see
 * sql/clickhouse/README.md.
 */
export class ClickHouseLiveStore implements LiveStore, ViewReader {
  readonly kind = 'clickhouse' as const;

  private constructor(
    private readonly client: ClickHouseClient,
    /** The write path, on connections of its own (reads must not queue ahead of it). */
    private readonly writer: ClickHouseEventWriter,
    private readonly options: ClickHouseLiveStoreOptions,
  ) {}

  static async open(options: ClickHouseLiveStoreOptions): Promise<ClickHouseLiveStore> {
    if (!IDENTIFIER.test(options.database)) throw new StoreError(`invalid ClickHouse database name ${JSON.stringify(options.database)}`, false);
    return new ClickHouseLiveStore(connect(options, options.database), new ClickHouseEventWriter(connect(options, options.database), options), options);
  }

  get database(): string {
    return this.options.database;
  }

  /** Creates the database if missing, then applies sql/clickhouse/NNN_*.sql in order, each once. */
  async migrate(): Promise<void> {
    const admin = connect(this.options, 'system');
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS \`${this.options.database}\`` });
    } catch (err) {
      throw new StoreError(`ClickHouse: cannot create database ${this.options.database}`, true, { cause: err });
    } finally {
      await admin.close();
    }
    const ran = await runMigrations(MIGRATIONS, {
      applied: async () => {
        await runCommand(this.client, 'CREATE TABLE IF NOT EXISTS schema_migrations (name String, checksum String, applied_ms Int64) ENGINE = ReplacingMergeTree ORDER BY name');
        const rows = await this.query<{ name: string; checksum: string }>('SELECT name, argMax(checksum, applied_ms) AS checksum FROM schema_migrations GROUP BY name');
        return new Map(rows.map((r) => [r.name, r.checksum]));
      },
      // No transactions: every statement is idempotent, so a migration cut short is re-run whole.
      apply: async (name, statements, checksum) => {
        for (const s of statements) await runCommand(this.client, s);
        await insertRows(this.client, 'schema_migrations', [{ name, checksum, applied_ms: Date.now() }]);
      },
    });
    if (ran.length > 0) this.options.logger?.info({ database: this.options.database, migrations: ran }, 'clickhouse live store migrated');
  }

  /**
   * Stores the events at/above the partition watermarks that have not landed yet, in one INSERT,
   * then moves the watermarks to `next` (ClickHouseEventWriter.write).
   */
  async write(topic: string, events: LiveEvent[], next: Watermarks): Promise<{ written: number }> {
    return this.writer.write(topic, events, next);
  }

  /**
   * The insert step of write(), alone: one JSONEachRow request for the whole batch. Exposed for
   * tests that simulate an insert which landed only in part; callers use write().
   */
  async insertEvents(topic: string, events: LiveEvent[]): Promise<void> {
    return this.writer.insertEvents(topic, events);
  }

  /** query_id prefix of this database's event inserts for a topic (the partitions and a uuid follow). */
  insertIdPrefix(topic: string): string {
    return this.writer.insertIdPrefix(topic);
  }

  async writeDlq(entries: DlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await insertRows(this.client, 'dlq', entries.map(dlqRow));
  }

  async writeQualityReport(worker: string, report: HourReport, writtenAt: number): Promise<void> {
    await insertRows(this.client, 'quality_reports', [qualityReportRow(worker, report, writtenAt)]);
  }

  async qualityReports(sinceMs: number): Promise<WorkerHourReport[]> {
    return readQualityReports(this, sinceMs);
  }

  async recentEventIds(sinceMs: number): Promise<string[]> {
    return readRecentEventIds(this, sinceMs);
  }

  async userFeatures(userKey: string, asOf: number, lastN = 10): Promise<UserFeatures> {
    return buildUserFeatures(this, clickhouseDialect, userKey, asOf, lastN);
  }

  /** The shared report over the per-minute rollup (whole minutes) plus events_by_time (window edges). */
  async kpis(windowMs: number, asOf: number): Promise<KpiReport> {
    return buildKpiReport(this, clickhouseRollupDialect, windowMs, asOf);
  }

  async trending(windowMs: number, asOf: number, limit = 20): Promise<TrendingProduct[]> {
    return readTrending(this, windowMs, asOf, limit);
  }

  async dlq(limit: number, sinceMs = 0): Promise<DlqEntry[]> {
    return readDlq(this, limit, sinceMs);
  }

  async freshness(): Promise<{ lastOccurredAt: number | null; lastReceivedAt: number | null; events: number }> {
    return readFreshness(this);
  }

  /** Deletes events and DLQ entries received (failed) before the cutoff (clickhouse-retention.ts). */
  async deleteOlderThan(cutoffMs: number): Promise<void> {
    return deleteOlderThan(this.client, cutoffMs);
  }

  /** Runs SQL built by the shared view declarations (all values through lib/sql-literal). */
  async query<T>(sql: string): Promise<T[]> {
    return readRows<T>(this.client, sql);
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.writer.close()]);
  }
}
