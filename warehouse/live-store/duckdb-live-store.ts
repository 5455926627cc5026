import { DuckDBTimestampMillisecondsValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from '../../lib/errors';
import { duckString, sqlNumber } from '../../lib/sql-literal';
import { DuckDb, memorySettings } from '../duckdb';
import type { DlqEntry, HourReport, KpiReport, LiveEvent, LiveStore, TrendingProduct, UserFeatures, Watermarks, WorkerHourReport } from '../live-store';
import { duckdbDialect as d, trendingSql } from '../live-views';
import { insertFromSpill, spillLine } from './duckdb-spill';
import { buildKpiReport, buildUserFeatures, trendingProductFrom, type ViewReader } from './view-results';
import { assetPath } from '../../lib/package-root';

const MIGRATIONS = assetPath('sql', 'duckdb', 'live');

const str = (v: string | null) => (a: DuckDBAppender) => (v === null ? a.appendNull() : a.appendVarchar(v));
const ts = (ms: number) => (a: DuckDBAppender) => a.appendTimestampMilliseconds(new DuckDBTimestampMillisecondsValue(BigInt(Math.trunc(ms))));

/**
 * Embedded live store on a DuckDB file. Rows and the per-partition offset watermarks move
 * in one transaction, which makes a redelivered batch harmless. Live views are computed at
 * read time from the events table with the shared declarations in warehouse/live-views.ts.
 */
export class DuckDbLiveStore implements LiveStore, ViewReader {
  readonly kind = 'duckdb' as const;
  private readonly marks = new Map<string, Map<number, number>>();
  private spills = 0;
  private constructor(
    private readonly db: DuckDb,
    private readonly reader: DuckDBConnection,
    /** The DLQ sink writes beside the real-time path: its own connection keeps it out of the events transaction. */
    private readonly dlqWriter: DuckDBConnection,
    private readonly spillDir: string,
  ) {}

  static async open(file: string, opts: { memoryMb?: number } = {}): Promise<DuckDbLiveStore> {
    // Spill files live only during one write; any found at start-up are a crashed write's, never committed.
    const spillDir = file === ':memory:' ? fs.mkdtempSync(path.join(os.tmpdir(), 'distributary-live-')) : `${file}.spill`;
    if (file !== ':memory:') fs.rmSync(spillDir, { recursive: true, force: true });
    fs.mkdirSync(spillDir, { recursive: true });
    // DuckDB checkpoints when the WAL reaches 16 MB by default: at live-store rates (28 columns)
    // that is every ~50k rows, and measured it doubled the CPU cost of an insert (18.8 vs 10.5 µs
    // per row). 256 MB checkpoints every ~800k rows; a restart replays at most that much WAL.
    // Threads stay at DuckDB's default (one per core): one thread cut the insert's CPU by about
    // 6 µs per event but made the API's reads 1.7–2× slower (features 82 → 127 ms on 2M rows).
    const db = await DuckDb.open(file, { checkpoint_threshold: '256MB', ...memorySettings(opts.memoryMb, file === ':memory:' ? path.join(spillDir, 'duckdb') : undefined) });
    return new DuckDbLiveStore(db, await db.connect(), await db.connect(), spillDir);
  }

  async migrate(): Promise<void> {
    await this.db.migrate(MIGRATIONS);
  }

  async write(topic: string, events: LiveEvent[], next: Watermarks): Promise<{ written: number }> {
    try {
      const stored = await this.watermarks(topic);
      const fresh = events.filter((e) => e.bus_offset >= (stored.get(e.bus_partition) ?? 0));
      const moves = Object.entries(next).map(([p, o]) => [Number(p), o] as const).filter(([p, o]) => o > (stored.get(p) ?? 0));
      let spill: string | undefined;
      if (fresh.length > 0) {
        spill = path.join(this.spillDir, `events-${process.pid}-${this.spills++}.tsv`);
        let body = '';
        for (const e of fresh) body += spillLine(e);
        await fs.promises.writeFile(spill, body);
      }
      try {
        await this.db.transaction(async () => {
          if (spill) await this.db.run(insertFromSpill(spill));
          if (moves.length > 0) {
            const values = moves.map(([p, o]) => `(${duckString(topic)}, ${sqlNumber(p)}, ${sqlNumber(o)})`).join(', ');
            await this.db.run(`INSERT INTO sink_watermarks VALUES ${values}`);
          }
        });
      } finally {
        if (spill) await fs.promises.rm(spill, { force: true });
      }
      for (const [p, o] of moves) stored.set(p, o); // only once committed
      return { written: fresh.length };
    } catch (err) {
      throw new StoreError('DuckDB live store write failed', true, { cause: err });
    }
  }

  /**
   * Stored watermarks of a topic, read once and then kept in memory: this process is the
   * DuckDB file's only writer, so nobody else moves them.
   */
  private async watermarks(topic: string): Promise<Map<number, number>> {
    let marks = this.marks.get(topic);
    if (!marks) {
      const rows = await this.db.all<{ partition: number; next_offset: bigint }>(
        'SELECT partition, max(next_offset) AS next_offset FROM sink_watermarks WHERE topic = $1 GROUP BY partition', [topic]);
      marks = new Map(rows.map((r) => [r.partition, Number(r.next_offset)]));
      this.marks.set(topic, marks);
    }
    return marks;
  }

  async writeDlq(entries: DlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const appender = await this.dlqWriter.createAppender('dlq');
    for (const e of entries) {
      appender.appendVarchar(e.stage);
      appender.appendVarchar(e.reason);
      str(e.rule)(appender);
      appender.appendVarchar(JSON.stringify(e.errors));
      str(e.event_id)(appender);
      appender.appendVarchar(e.payload);
      ts(e.failed_at)(appender);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
  }

  async writeQualityReport(worker: string, report: HourReport, writtenAt: number): Promise<void> {
    await this.dlqWriter.run('INSERT INTO quality_reports VALUES (epoch_ms($1::BIGINT)::TIMESTAMP_MS, $2, epoch_ms($3::BIGINT)::TIMESTAMP_MS, $4)',
      [Date.parse(report.hour), worker, Math.trunc(writtenAt), JSON.stringify(report)]);
  }

  async qualityReports(sinceMs: number): Promise<WorkerHourReport[]> {
    const rows = await this.query<{ worker: string; report: string }>(
      `SELECT worker, arg_max(report, written_at) AS report FROM quality_reports WHERE hour >= epoch_ms(${Math.trunc(sinceMs)}) GROUP BY hour, worker ORDER BY hour, worker`);
    return rows.map((r) => ({ worker: r.worker, report: JSON.parse(r.report) as HourReport }));
  }

  async recentEventIds(sinceMs: number): Promise<string[]> {
    const rows = await this.query<{ event_id: string }>(`SELECT event_id FROM events WHERE received_at >= epoch_ms(${Math.trunc(sinceMs)})`);
    return rows.map((r) => r.event_id);
  }

  async userFeatures(userKey: string, asOf: number, lastN = 10): Promise<UserFeatures> {
    return buildUserFeatures(this, d, userKey, asOf, lastN);
  }

  async kpis(windowMs: number, asOf: number): Promise<KpiReport> {
    return buildKpiReport(this, d, windowMs, asOf);
  }

  async trending(windowMs: number, asOf: number, limit = 20): Promise<TrendingProduct[]> {
    const rows = await this.query<Record<string, unknown>>(trendingSql(d, asOf - windowMs, asOf, limit));
    return rows.map(trendingProductFrom);
  }

  async dlq(limit: number, sinceMs = 0): Promise<DlqEntry[]> {
    const rows = await this.query<Record<string, unknown>>(
      `SELECT stage, reason, rule, errors, event_id, payload, epoch_ms(failed_at) AS failed_at FROM dlq WHERE failed_at >= epoch_ms(${Math.trunc(sinceMs)}) ORDER BY failed_at DESC LIMIT ${Math.trunc(limit)}`,
    );
    return rows.map((r) => ({ ...(r as unknown as DlqEntry), errors: JSON.parse(String(r.errors)) as string[], failed_at: Number(r.failed_at) }));
  }

  async freshness(): Promise<{ lastOccurredAt: number | null; lastReceivedAt: number | null; events: number }> {
    const [r] = await this.query<{ o: bigint | null; r: bigint | null; n: bigint }>('SELECT epoch_ms(max(occurred_at)) AS o, epoch_ms(max(received_at)) AS r, count(*) AS n FROM events');
    return { lastOccurredAt: r.o === null ? null : Number(r.o), lastReceivedAt: r.r === null ? null : Number(r.r), events: Number(r.n) };
  }

  async deleteOlderThan(cutoffMs: number): Promise<void> {
    await this.db.run(`DELETE FROM events WHERE received_at < epoch_ms(${Math.trunc(cutoffMs)})`);
    await this.db.run(`DELETE FROM dlq WHERE failed_at < epoch_ms(${Math.trunc(cutoffMs)})`);
    await this.db.run(`DELETE FROM quality_reports WHERE hour < epoch_ms(${Math.trunc(cutoffMs)})`);
    await this.db.run(`DELETE FROM sink_watermarks w WHERE next_offset < (SELECT max(next_offset) FROM sink_watermarks m WHERE m.topic = w.topic AND m.partition = w.partition)`);
  }

  /** Reads go through their own connection so they never wait behind a write transaction. */
  async query<T>(sql: string): Promise<T[]> {
    try {
      return await this.db.all<T>(sql, undefined, this.reader);
    } catch (err) {
      throw new StoreError('DuckDB live store query failed', true, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.reader.closeSync();
    this.dlqWriter.closeSync();
    this.db.close();
    fs.rmSync(this.spillDir, { recursive: true, force: true });
  }
}
