import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createHash, randomUUID } from 'node:crypto';
import { StoreError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { runMigrations } from '../../lib/migrations';
import { clickhouseString, sqlNumber } from '../../lib/sql-literal';
import type { DlqEntry, HourReport, KpiReport, LiveEvent, LiveStore, TrendingProduct, UserFeatures, Watermarks, WorkerHourReport } from '../live-store';
import { clickhouseDialect } from '../live-views';
import { clickhouseRollupDialect, ROLLUP_TABLES, trendingRollupSql } from './clickhouse-rollups';
import { buildKpiReport, buildUserFeatures, trendingProductFrom, type ViewReader } from './view-results';
import { assetPath } from '../../lib/package-root';

const MIGRATIONS = assetPath('sql', 'clickhouse');

/** Columns of `events` a write sends (sql/clickhouse/001_events.sql; occurred_at is MATERIALIZED). */
const EVENT_COLUMNS = [
  'event_id', 'event_type', 'schema_version', 'occurred_ms', 'received_ms', 'user_key', 'user_id', 'anonymous_id', 'session_id',
  'product_id', 'category', 'brand', 'price', 'currency', 'quantity', 'search_query', 'order_id', 'revenue', 'page_url', 'referrer',
  'user_agent', 'ip', 'locale', 'quality_score', 'rules_hit', 'rules_version', 'topic', 'bus_partition', 'bus_offset',
] as const;
type EventRow = Record<(typeof EVENT_COLUMNS)[number], unknown>;

/** Tables that only hold what was derived from events, partitioned by the same UTC day as events. */
const DERIVED_BY_DAY = ['events_by_time', ...ROLLUP_TABLES];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DAY_MS = 86_400_000;

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

export const toRow = (topic: string, e: LiveEvent): EventRow => ({
  event_id: e.event_id,
  event_type: e.event_type,
  schema_version: e.schema_version,
  occurred_ms: Math.trunc(e.occurred_at),
  received_ms: Math.trunc(e.received_at),
  user_key: e.user_key,
  user_id: e.user_id,
  anonymous_id: e.anonymous_id,
  session_id: e.session_id,
  product_id: e.product_id,
  category: e.category,
  brand: e.brand,
  price: e.price,
  currency: e.currency,
  quantity: e.quantity,
  search_query: e.search_query,
  order_id: e.order_id,
  revenue: e.revenue,
  page_url: e.page_url,
  referrer: e.referrer,
  user_agent: e.user_agent,
  ip: e.ip,
  locale: e.locale,
  quality_score: e.quality_score,
  rules_hit: e.rules_hit,
  rules_version: e.rules_version,
  topic,
  bus_partition: e.bus_partition,
  bus_offset: e.bus_offset,
});

/** Long requests (big inserts, retention) report progress so that idle connections are not cut. */
const connect = (o: ClickHouseLiveStoreOptions, database: string): ClickHouseClient =>
  createClient({
    url: o.url,
    database,
    request_timeout: o.requestTimeoutMs ?? 300_000,
    clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' },
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Live store on ClickHouse (18.16 and current). Events go to a MergeTree table ordered by
 * (user_key, occurred_ms); materialized views feed the per-minute rollups the KPI and trending
 * queries read (warehouse/live-store/clickhouse-rollups.ts), the time-ordered copy their window
 * edges read, and `sink_landed`, the record of which bus offsets landed. Writes are exactly once
 * under redelivery without transactions or insert deduplication: see sql/clickhouse/README.md.
 */
export class ClickHouseLiveStore implements LiveStore, ViewReader {
  readonly kind = 'clickhouse' as const;
  /** Serializes this instance's writes: the check-then-insert of write() must not interleave. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly client: ClickHouseClient,
    /**
     * write()'s own connections: reads (API requests, a dashboard polling) queue in the client's
     * pool of 10 sockets, and the writer must not wait behind them, or the live path falls behind
     * exactly when it is read most.
     */
    private readonly writer: ClickHouseClient,
    private readonly options: ClickHouseLiveStoreOptions,
  ) {}

  static async open(options: ClickHouseLiveStoreOptions): Promise<ClickHouseLiveStore> {
    if (!IDENTIFIER.test(options.database)) throw new StoreError(`invalid ClickHouse database name ${JSON.stringify(options.database)}`, false);
    return new ClickHouseLiveStore(connect(options, options.database), connect(options, options.database), options);
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
        await this.command('CREATE TABLE IF NOT EXISTS schema_migrations (name String, checksum String, applied_ms Int64) ENGINE = ReplacingMergeTree ORDER BY name');
        const rows = await this.query<{ name: string; checksum: string }>('SELECT name, argMax(checksum, applied_ms) AS checksum FROM schema_migrations GROUP BY name');
        return new Map(rows.map((r) => [r.name, r.checksum]));
      },
      // No transactions: every statement is idempotent, so a migration cut short is re-run whole.
      apply: async (name, statements, checksum) => {
        for (const s of statements) await this.command(s);
        await this.insert('schema_migrations', [{ name, checksum, applied_ms: Date.now() }]);
      },
    });
    if (ran.length > 0) this.options.logger?.info({ database: this.options.database, migrations: ran }, 'clickhouse live store migrated');
  }

  /**
   * Stores the events at/above the partition watermarks that have not landed yet, in one INSERT,
   * then moves the watermarks to `next`. Order of steps and why it is exactly once: README.md.
   */
  async write(topic: string, events: LiveEvent[], next: Watermarks): Promise<{ written: number }> {
    return this.exclusive(async () => {
      try {
        const partitions = [...new Set([...events.map((e) => e.bus_partition), ...Object.keys(next).map(Number)])];
        // (1) no earlier insert of these partitions still running; (2) watermarks and (3) what landed, in one read.
        const [, { stored, landed }] = await Promise.all([this.waitForRunningInserts(topic, partitions), this.storedState(topic, partitions, events)]);
        const candidates = events.filter((e) => e.bus_offset >= (stored.get(e.bus_partition) ?? 0));
        const seen = new Set<string>();
        let alreadyLanded = 0;
        const fresh = candidates.filter((e) => {
          const key = `${e.bus_partition}:${e.bus_offset}`;
          if (landed.has(key)) alreadyLanded++;
          if (landed.has(key) || seen.has(key)) return false;
          seen.add(key);
          return true;
        });
        if (alreadyLanded > 0) {
          this.options.logger?.warn({ topic, landed: alreadyLanded, inserting: fresh.length }, 'clickhouse live store: redelivered rows already stored, skipped');
        }
        if (fresh.length > 0) await this.insertEvents(topic, fresh);
        await this.options.afterInsert?.(topic, fresh);
        const moves = Object.entries(next)
          .map(([p, offset]) => ({ topic, bus_partition: Number(p), next_offset: offset, updated_ms: Date.now() }))
          .filter((m) => m.next_offset > (stored.get(m.bus_partition) ?? 0));
        if (moves.length > 0) await this.insert('sink_offsets', moves, this.writer);
        return { written: fresh.length };
      } catch (err) {
        if (err instanceof StoreError) throw err;
        throw new StoreError('ClickHouse live store write failed', true, { cause: err });
      }
    });
  }

  /**
   * The insert step of write(), alone: one JSONEachRow request for the whole batch. Exposed for
   * tests that simulate an insert which landed only in part; callers use write().
   */
  async insertEvents(topic: string, events: LiveEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.writer.insert({
      table: 'events',
      values: events.map((e) => toRow(topic, e)),
      format: 'JSONEachRow',
      columns: [...EVENT_COLUMNS],
      query_id: `${this.insertIdPrefix(topic)}${[...new Set(events.map((e) => e.bus_partition))].sort((a, b) => a - b).join('.')}:${randomUUID()}`,
    });
  }

  /**
   * Next stored offset per partition (0 when none; max() because a watermark only moves forward),
   * and the `partition:offset` of those events already in sink_landed (a primary-key range per
   * partition), in one request: a write's reads cost one round trip besides the running-insert check.
   */
  private async storedState(topic: string, partitions: number[], events: LiveEvent[]): Promise<{ stored: Map<number, number>; landed: Set<string> }> {
    if (partitions.length === 0) return { stored: new Map(), landed: new Set() };
    const t = clickhouseString(topic);
    const selects = [
      `SELECT 'w' AS kind, bus_partition, toInt64(max(next_offset)) AS o FROM sink_offsets
WHERE topic = ${t} AND bus_partition IN (${partitions.map(sqlNumber).join(', ')})
GROUP BY bus_partition`,
    ];
    const ranges = new Map<number, { lo: number; hi: number }>();
    for (const e of events) {
      const r = ranges.get(e.bus_partition);
      if (!r) ranges.set(e.bus_partition, { lo: e.bus_offset, hi: e.bus_offset });
      else {
        r.lo = Math.min(r.lo, e.bus_offset);
        r.hi = Math.max(r.hi, e.bus_offset);
      }
    }
    if (ranges.size > 0) {
      const where = [...ranges].map(([p, r]) => `(bus_partition = ${sqlNumber(p)} AND bus_offset >= ${sqlNumber(r.lo)} AND bus_offset <= ${sqlNumber(r.hi)})`);
      selects.push(`SELECT 'l' AS kind, bus_partition, bus_offset AS o FROM sink_landed WHERE topic = ${t} AND (${where.join(' OR ')})`);
    }
    const rows = await this.read<{ kind: string; bus_partition: number; o: string }>(selects.join('\nUNION ALL\n'), this.writer);
    const stored = new Map<number, number>();
    const landed = new Set<string>();
    for (const r of rows) {
      if (r.kind === 'w') stored.set(Number(r.bus_partition), Number(r.o));
      else landed.add(`${r.bus_partition}:${r.o}`);
    }
    return { stored, landed };
  }

  /** query_id prefix of this database's event inserts for a topic (the partitions and a uuid follow). */
  insertIdPrefix(topic: string): string {
    return `distributary-live:${this.options.database}:${createHash('sha1').update(topic).digest('hex').slice(0, 16)}:`;
  }

  /**
   * An INSERT the server received keeps running when its client dies or times out. Until it ends,
   * sink_landed cannot tell whether its rows will land, so a write touching the same partitions
   * waits for it first (system.processes, by query_id).
   */
  private async waitForRunningInserts(topic: string, partitions: number[], timeoutMs = this.options.requestTimeoutMs ?? 300_000): Promise<void> {
    if (partitions.length === 0) return;
    const prefix = this.insertIdPrefix(topic);
    const mine = new Set(partitions);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = await this.read<{ query_id: string }>(`SELECT query_id FROM system.processes WHERE startsWith(query_id, ${clickhouseString(prefix)})`, this.writer);
      const overlapping = running.filter((r) => r.query_id.slice(prefix.length).split(':')[0].split('.').some((p) => mine.has(Number(p))));
      if (overlapping.length === 0) return;
      if (Date.now() > deadline) throw new StoreError(`ClickHouse: an earlier insert for ${topic} is still running (${overlapping[0].query_id})`, true);
      this.options.logger?.warn({ topic, running: overlapping.length }, 'clickhouse live store: waiting for an earlier insert to finish');
      await sleep(100);
    }
  }

  async writeDlq(entries: DlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.insert('dlq', entries.map((e) => ({
      stage: e.stage, reason: e.reason, rule: e.rule, errors: JSON.stringify(e.errors), event_id: e.event_id, payload: e.payload, failed_ms: Math.trunc(e.failed_at),
    })));
  }

  async writeQualityReport(worker: string, report: HourReport, writtenAt: number): Promise<void> {
    await this.insert('quality_reports', [{ hour_ms: Date.parse(report.hour), worker, written_ms: Math.trunc(writtenAt), report: JSON.stringify(report) }]);
  }

  async qualityReports(sinceMs: number): Promise<WorkerHourReport[]> {
    const rows = await this.query<{ worker: string; report: string }>(
      `SELECT worker, argMax(report, written_ms) AS report FROM quality_reports WHERE hour_ms >= ${sqlNumber(Math.trunc(sinceMs))} GROUP BY hour_ms, worker ORDER BY hour_ms, worker`);
    return rows.map((r) => ({ worker: r.worker, report: JSON.parse(r.report) as HourReport }));
  }

  async recentEventIds(sinceMs: number): Promise<string[]> {
    const rows = await this.query<{ event_id: string }>(`SELECT event_id FROM events WHERE received_ms >= ${sqlNumber(Math.trunc(sinceMs))}`);
    return rows.map((r) => r.event_id);
  }

  async userFeatures(userKey: string, asOf: number, lastN = 10): Promise<UserFeatures> {
    return buildUserFeatures(this, clickhouseDialect, userKey, asOf, lastN);
  }

  /** The shared report over the per-minute rollup (whole minutes) plus events_by_time (window edges). */
  async kpis(windowMs: number, asOf: number): Promise<KpiReport> {
    return buildKpiReport(this, clickhouseRollupDialect, windowMs, asOf);
  }

  async trending(windowMs: number, asOf: number, limit = 20): Promise<TrendingProduct[]> {
    const rows = await this.query<Record<string, unknown>>(trendingRollupSql(asOf - windowMs, asOf, limit));
    return rows.map(trendingProductFrom);
  }

  async dlq(limit: number, sinceMs = 0): Promise<DlqEntry[]> {
    const rows = await this.query<Record<string, unknown>>(
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

  async freshness(): Promise<{ lastOccurredAt: number | null; lastReceivedAt: number | null; events: number }> {
    const [r] = await this.query<{ o: string | null; r: string | null; n: string }>(
      'SELECT max(toNullable(occurred_ms)) AS o, max(toNullable(received_ms)) AS r, count() AS n FROM events',
    );
    return { lastOccurredAt: r.o === null ? null : Number(r.o), lastReceivedAt: r.r === null ? null : Number(r.r), events: Number(r.n) };
  }

  /**
   * Deletes events and DLQ entries received (failed) before the cutoff. ClickHouse 18.16 has no TTL:
   * whole UTC days go with ALTER TABLE ... DROP PARTITION (cheap), the rest with an ALTER DELETE
   * mutation, awaited. The derived tables (rollups, events_by_time) hold no per-row receive time;
   * a day of them is dropped once no event of that day is left, so until then the KPI and trending
   * views still count that day's deleted events (see README.md).
   */
  async deleteOlderThan(cutoffMs: number): Promise<void> {
    const cutoff = sqlNumber(Math.trunc(cutoffMs));
    try {
      // Days of events: those where every row was received before the cutoff go whole.
      const days = await this.query<{ day: number; newest: string }>(
        'SELECT toYYYYMMDD(occurred_at) AS day, max(received_ms) AS newest FROM events GROUP BY day',
      );
      const keep = new Set(days.filter((d) => Number(d.newest) >= cutoffMs).map((d) => Number(d.day)));
      for (const d of days) if (!keep.has(Number(d.day))) await this.dropPartition('events', Number(d.day));
      if (await this.count(`events WHERE received_ms < ${cutoff}`)) await this.mutate('events', `received_ms < ${cutoff}`);

      // Derived tables: a day none of whose events are left, and which ended before the cutoff.
      for (const table of DERIVED_BY_DAY) {
        for (const day of await this.partitions(table)) {
          if (!keep.has(day) && dayEndMs(day) <= cutoffMs) await this.dropPartition(table, day);
        }
      }
      // Offsets that landed are only consulted at/above the watermark, i.e. for recent batches.
      for (const day of await this.partitions('sink_landed')) if (dayEndMs(day) <= cutoffMs) await this.dropPartition('sink_landed', day);

      for (const day of await this.partitions('dlq')) if (dayEndMs(day) <= cutoffMs) await this.dropPartition('dlq', day);
      if (await this.count(`dlq WHERE failed_ms < ${cutoff}`)) await this.mutate('dlq', `failed_ms < ${cutoff}`);
      for (const day of await this.partitions('quality_reports')) if (dayEndMs(day) <= cutoffMs) await this.dropPartition('quality_reports', day);
      if (await this.count(`quality_reports WHERE hour_ms < ${cutoff}`)) await this.mutate('quality_reports', `hour_ms < ${cutoff}`);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('ClickHouse live store retention failed', true, { cause: err });
    }
  }

  private async partitions(table: string): Promise<number[]> {
    const rows = await this.query<{ partition: string }>(
      `SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = ${clickhouseString(table)} AND active`,
    );
    return rows.map((r) => Number(r.partition)).filter(Number.isInteger);
  }

  private async dropPartition(table: string, day: number): Promise<void> {
    await this.command(`ALTER TABLE ${table} DROP PARTITION ${sqlNumber(day)}`);
  }

  private async count(from: string): Promise<number> {
    const [r] = await this.query<{ n: string }>(`SELECT count() AS n FROM ${from}`);
    return Number(r.n);
  }

  /** ALTER ... DELETE, then waits until ClickHouse has applied it (18.16 has no mutations_sync). */
  private async mutate(table: string, where: string, timeoutMs = 600_000): Promise<void> {
    await this.command(`ALTER TABLE ${table} DELETE WHERE ${where}`);
    const deadline = Date.now() + timeoutMs;
    while (await this.count(`system.mutations WHERE database = currentDatabase() AND table = ${clickhouseString(table)} AND is_done = 0`)) {
      if (Date.now() > deadline) throw new StoreError(`ClickHouse: mutation on ${table} not done after ${timeoutMs} ms`, true);
      await sleep(50);
    }
  }

  /** Runs SQL built by the shared view declarations (all values through lib/sql-literal). */
  async query<T>(sql: string): Promise<T[]> {
    return this.read<T>(sql, this.client);
  }

  private async read<T>(sql: string, client: ClickHouseClient): Promise<T[]> {
    try {
      const rs = await client.query({ query: sql, format: 'JSONEachRow' });
      return await rs.json<T>();
    } catch (err) {
      throw new StoreError('ClickHouse live store query failed', true, { cause: err });
    }
  }

  private async command(sql: string): Promise<void> {
    try {
      await this.client.command({ query: sql });
    } catch (err) {
      throw new StoreError(`ClickHouse live store command failed: ${sql.split('\n')[0].slice(0, 120)}`, true, { cause: err });
    }
  }

  private async insert(table: string, values: Record<string, unknown>[], client = this.client): Promise<void> {
    try {
      await client.insert({ table, values, format: 'JSONEachRow' });
    } catch (err) {
      throw new StoreError(`ClickHouse live store insert into ${table} failed`, true, { cause: err });
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writing.then(work, work);
    this.writing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.writer.close()]);
  }
}

/** Epoch ms at which the UTC day YYYYMMDD ends. */
function dayEndMs(day: number): number {
  const y = Math.floor(day / 10_000), m = Math.floor(day / 100) % 100, d = day % 100;
  return Date.UTC(y, m - 1, d) + DAY_MS;
}
