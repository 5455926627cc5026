import type { ClickHouseClient } from '@clickhouse/client';
import { createHash, randomUUID } from 'node:crypto';
import { StoreError } from '../../lib/errors';
import { clickhouseString, sqlNumber } from '../../lib/sql-literal';
import type { LiveEvent, Watermarks } from '../live-store';
import { insertRows, readRows, sleep } from './clickhouse-connection';
import type { ClickHouseLiveStoreOptions } from './clickhouse-live-store';
import { EVENT_COLUMNS, toRow } from './clickhouse-rows';

/**
 * The exactly-once write path of the ClickHouse live store: events are inserted at most once per
 * bus offset under redelivery, without transactions or insert deduplication, by checking the
 * partition watermarks (`sink_offsets`) and the offsets that landed (`sink_landed`) before one
 * INSERT, and moving the watermarks after it. The steps and why they suffice: sql/clickhouse/README.md.
 */
export class ClickHouseEventWriter {
  /** Serializes this instance's writes: the check-then-insert of write() must not interleave. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    /**
     * write()'s own connections: reads (API requests, a dashboard polling) queue in the client's
     * pool of 10 sockets, and the writer must not wait behind them, or the live path falls behind
     * exactly when it is read most.
     */
    private readonly writer: ClickHouseClient,
    private readonly options: ClickHouseLiveStoreOptions,
  ) {}

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
        if (moves.length > 0) await insertRows(this.writer, 'sink_offsets', moves);
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
    const rows = await readRows<{ kind: string; bus_partition: number; o: string }>(this.writer, selects.join('\nUNION ALL\n'));
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
      const running = await readRows<{ query_id: string }>(this.writer, `SELECT query_id FROM system.processes WHERE startsWith(query_id, ${clickhouseString(prefix)})`);
      const overlapping = running.filter((r) => r.query_id.slice(prefix.length).split(':')[0].split('.').some((p) => mine.has(Number(p))));
      if (overlapping.length === 0) return;
      if (Date.now() > deadline) throw new StoreError(`ClickHouse: an earlier insert for ${topic} is still running (${overlapping[0].query_id})`, true);
      this.options.logger?.warn({ topic, running: overlapping.length }, 'clickhouse live store: waiting for an earlier insert to finish');
      await sleep(100);
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writing.then(work, work);
    this.writing = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}
