import type { DuckDBConnection } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDb } from '../../warehouse/duckdb';
import type { BusMessage } from '../bus';
import { lakeRows, PLACE } from './lake-columns';
import { Coverage, hourDir, lakeFileName } from './lake-files';
import { Staging } from './staging';

export { LAKE_COLUMNS } from './lake-columns';

export interface LakeWriterOptions {
  root: string;
  rollRows: number;
  rollMs: number;
  rollBytes?: number;
  onFile?: (file: string, rows: number) => void;
}

interface Pending {
  first: number;
  last: number;
  rows: number;
  bytes: number;
  since: number;
  /** Offsets arrived in increasing order, so the buffer already holds them sorted. */
  ordered: boolean;
}

interface Group {
  placed_at: string;
  event_date: string;
  hour: string;
  bus_partition: number;
  n: bigint;
}

/** Connections placing batches, and later writing files, side by side: a core each on a small machine. */
const WORKERS = 2;

/**
 * The offline path's sink: raw, untransformed events → Parquet (zstd) files under
 * raw/event_date=…/hour=…/. Rows are buffered in an in-memory DuckDB (see staging.ts) and
 * written with DuckDB's COPY (measured ~6x faster and ~24x smaller than parquetjs-lite: see
 * the README). Files are written under a temporary name and renamed, so readers never see half
 * a file; offsets already covered by a lake file are skipped, so a replay adds no duplicates.
 */
export class LakeWriter {
  private readonly pending = new Map<number, Pending>();
  /** Next offset per partition that is safely in the lake (or was already there). */
  private readonly durable = new Map<number, number>();
  /** add() and roll() share one buffer: they take turns. */
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: DuckDb,
    private readonly staging: Staging,
    private readonly workers: DuckDBConnection[],
    private readonly opts: LakeWriterOptions,
    private readonly coverage: Coverage,
  ) {}

  static async open(opts: LakeWriterOptions): Promise<LakeWriter> {
    // One thread per query: parallelism comes from running queries side by side (see rollNow),
    // and no query spins waiting for a task another thread took (with 2 threads the writer
    // used ~1.5x the CPU, measured with bench/parquet.bench.ts).
    // No automatic checkpoint: it would compress tables that live only until the next roll.
    const db = await DuckDb.open(':memory:', { threads: '1', checkpoint_threshold: '1TB' });
    fs.mkdirSync(path.join(opts.root, 'raw'), { recursive: true });
    // Spill files an earlier version left behind: their rows were never committed and are read again from the bus.
    fs.rmSync(path.join(opts.root, '.buffer'), { recursive: true, force: true });
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => db.connect()));
    return new LakeWriter(db, await Staging.open(db, workers), workers, opts, Coverage.scan(opts.root));
  }

  add(messages: BusMessage[], now = Date.now()): Promise<void> {
    return this.exclusive(async () => {
      await this.append(messages, now);
      if (this.shouldRoll(now)) await this.rollNow();
    });
  }

  /** For a timer: rolls when the oldest buffered row is old enough, even without new input. */
  tick(now = Date.now()): Promise<string[]> {
    return this.exclusive(async () => (this.shouldRoll(now) ? this.rollNow() : []));
  }

  /** Writes every buffered partition to its files and empties the buffer. */
  roll(): Promise<string[]> {
    return this.exclusive(() => this.rollNow());
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work, work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async append(messages: BusMessage[], now: number): Promise<void> {
    const accepted: BusMessage[] = [];
    for (const m of messages) {
      const p = this.pending.get(m.partition);
      // Kafka redelivers an uncommitted tail after any rebalance: it is already in the buffer.
      if (p && m.offset >= p.first && m.offset <= p.last) continue;
      if (this.coverage.covers(m.partition, m.offset)) {
        if (!p) this.durable.set(m.partition, m.offset + 1);
        continue;
      }
      accepted.push(m);
      if (p) {
        p.ordered &&= m.offset > p.last;
        p.last = m.offset;
        p.rows++;
        p.bytes += m.value.length;
      } else this.pending.set(m.partition, { first: m.offset, last: m.offset, rows: 1, bytes: m.value.length, since: now, ordered: true });
    }
    if (accepted.length > 0) await this.staging.append(accepted);
  }

  /** What the consumer may commit: per partition, the next offset that is in the lake. */
  committable(): Record<number, number> {
    return Object.fromEntries(this.durable);
  }

  shouldRoll(now = Date.now()): boolean {
    let rows = 0;
    let bytes = 0;
    let oldest = Infinity;
    for (const p of this.pending.values()) {
      rows += p.rows;
      bytes += p.bytes;
      oldest = Math.min(oldest, p.since);
    }
    return rows > 0 && (rows >= this.opts.rollRows || bytes >= (this.opts.rollBytes ?? 256 << 20) || now - oldest >= this.opts.rollMs);
  }

  private async rollNow(): Promise<string[]> {
    if (this.pending.size === 0) return [];
    await this.staging.drain();
    const groups = await this.db.all<Group>(`SELECT placed_at::VARCHAR AS placed_at, ${PLACE}, bus_partition, n
      FROM (SELECT placed_at, bus_partition, count(*) AS n FROM ${this.staging.rows()} GROUP BY ALL) ORDER BY event_date, hour, bus_partition`);
    // A file of one partition-hour is mostly one row group, which DuckDB compresses on one
    // thread: writing files side by side on their own connections keeps every core busy.
    const written: string[] = [];
    const next = groups.values();
    await Promise.all(this.workers.map(async (conn) => {
      for (let g = next.next(); !g.done; g = next.next()) written.push(await this.writeFile(conn, g.value));
    }));
    for (const [partition, p] of this.pending) {
      this.coverage.add({ partition, first: p.first, last: p.last });
      this.durable.set(partition, p.last + 1);
    }
    this.pending.clear();
    await this.staging.clear();
    return written;
  }

  private async writeFile(conn: DuckDBConnection, g: Group): Promise<string> {
    const range = this.pending.get(g.bus_partition)!;
    // Placed rows keep arrival order; sorting is needed only when offsets arrived out of order.
    const order = range.ordered ? '' : 'ORDER BY bus_offset';
    const dir = hourDir(this.opts.root, g.event_date, g.hour);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, lakeFileName({ partition: g.bus_partition, first: range.first, last: range.last }));
    const tmp = `${file}.tmp`;
    await conn.run(
      `COPY (${lakeRows(`SELECT * FROM ${this.staging.rows()} WHERE placed_at = CAST($1 AS TIMESTAMP) AND bus_partition = $2`)} ${order})
       TO '${tmp.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION zstd)`,
      [g.placed_at, g.bus_partition],
    );
    // Asynchronous: a blocked event loop would hold up the other worker's next file.
    await fsyncPath(tmp);
    await fs.promises.rename(tmp, file);
    await fsyncPath(dir);
    this.opts.onFile?.(file, Number(g.n));
    return file;
  }

  async close(): Promise<void> {
    await this.roll();
    await this.turn;
    await this.staging.close();
    for (const c of this.workers) c.closeSync();
    this.db.close();
  }
}

/** fsync of a file or a directory (so a rename in it is durable). */
async function fsyncPath(target: string): Promise<void> {
  const handle = await fs.promises.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
