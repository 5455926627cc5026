import {
  DuckDBBigIntType, DuckDBBlobType, DuckDBBlobValue, DuckDBDataChunk, DuckDBIntegerType, DuckDBTimestampMillisecondsType,
  DuckDBTimestampMillisecondsValue, type DuckDBAppender, type DuckDBConnection,
} from '@duckdb/node-api';
import { isUtf8 } from 'node:buffer';
import { StoreError } from '../../lib/errors';
import type { DuckDb } from '../../warehouse/duckdb';
import type { BusMessage } from '../bus';
import { BATCH_COLUMNS, placedRows } from './lake-columns';

const BATCH_TYPES = [DuckDBBlobType.instance, DuckDBTimestampMillisecondsType.instance, DuckDBIntegerType.instance, DuckDBBigIntType.instance];
/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;
/**
 * Rows a batch table collects, over as many add() calls as it takes, before it is placed. Each
 * placing costs ~2 ms whatever its size and each segment a little per file written (measured
 * best near 32k rows in bench/parquet.bench.ts); the last batch is placed when the roll asks.
 */
const BATCH_ROWS = 32_768;

/**
 * Rows on their way to the next roll. Each batch is appended as data chunks to a table of its
 * own, payloads as BLOB bytes (no JS string per row). Then, on the worker connections and while
 * JS prepares the next batch, DuckDB places it: decodes it and adds the hour that puts each row
 * in the lake, into a segment table numbered like the batch. A batch leaves its table only in
 * the transaction that creates its segment, so a failed move loses nothing: drain() retries
 * it. Segments read in batch order hold the rows in the order they arrived, whichever worker
 * placed them first.
 */
export class Staging {
  /** The batch being appended to. */
  private open: { n: number; appender: DuckDBAppender; rows: number } | undefined;
  private batches = 0;
  /** Sealed batches not yet placed, oldest first. */
  private waiting: number[] = [];
  private readonly placed = new Set<number>();
  private readonly idle: DuckDBConnection[];
  private readonly moving = new Set<Promise<void>>();
  /** Why a batch could not be placed; until drain() retries, batches wait. */
  private failure: unknown;
  /** Rows that could not be appended: nothing may be committed past them (see drain). */
  private lost: unknown;

  private constructor(
    private readonly db: DuckDb,
    workers: DuckDBConnection[],
  ) {
    this.idle = [...workers];
  }

  static async open(db: DuckDb, workers: DuckDBConnection[]): Promise<Staging> {
    await db.run(`CREATE TABLE empty_batch ${BATCH_COLUMNS}`);
    return new Staging(db, workers);
  }

  /** Appends messages in order; they are placed in the background. */
  async append(messages: BusMessage[]): Promise<void> {
    try {
      await this.appendOpen(messages);
    } catch (err) {
      this.lost ??= err;
      throw err;
    }
  }

  /** Places every appended row; throws if a batch cannot be placed. */
  async drain(): Promise<void> {
    // The writer already counts rows that never reached a batch: it must be reopened, and the
    // bus delivers them again from the last commit.
    if (this.lost) throw new StoreError('the lake buffer lost rows: reopen the writer', false, { cause: this.lost });
    this.seal();
    await Promise.all(this.moving);
    this.failure = undefined;
    this.start();
    while (this.moving.size > 0) await Promise.all(this.moving);
    if (this.failure) throw this.failure;
  }

  /** The placed rows, in the order they arrived, as a FROM clause. */
  rows(): string {
    const segments = [...this.placed].sort((a, b) => a - b).map((n) => `SELECT * FROM segment_${n}`);
    return `(${segments.length > 0 ? segments.join(' UNION ALL ') : placedRows('empty_batch')})`;
  }

  /** Drops the placed rows, once they are in lake files. */
  async clear(): Promise<void> {
    // Forgotten first: a segment whose DROP fails only wastes memory, it is never written twice.
    const segments = [...this.placed];
    this.placed.clear();
    if (segments.length > 0) await this.db.run(segments.map((n) => `DROP TABLE segment_${n}`).join(';\n'));
  }

  async close(): Promise<void> {
    this.open?.appender.closeSync();
    await Promise.all(this.moving);
  }

  private async appendOpen(messages: BusMessage[]): Promise<void> {
    if (!this.open) {
      const n = this.batches++;
      await this.db.run(`CREATE TABLE batch_${n} ${BATCH_COLUMNS}`);
      this.open = { n, appender: await this.db.conn.createAppender(`batch_${n}`), rows: 0 };
    }
    for (let i = 0; i < messages.length; i += CHUNK_ROWS) {
      const rows = messages.slice(i, i + CHUNK_ROWS);
      const chunk = DuckDBDataChunk.create(BATCH_TYPES, rows.length);
      chunk.setColumns([
        // A VARCHAR cannot hold invalid UTF-8: such a payload is stored with U+FFFD in place of bad bytes.
        rows.map((m) => new DuckDBBlobValue(isUtf8(m.value) ? m.value : Buffer.from(m.value.toString('utf8')))),
        rows.map((m) => new DuckDBTimestampMillisecondsValue(BigInt(Math.trunc(m.timestamp)))),
        rows.map((m) => m.partition),
        rows.map((m) => BigInt(m.offset)),
      ]);
      this.open.appender.appendDataChunk(chunk);
    }
    this.open.rows += messages.length;
    if (this.open.rows >= BATCH_ROWS) this.seal();
  }

  /** Hands the open batch to the workers. */
  private seal(): void {
    if (!this.open) return;
    const { n, appender } = this.open;
    this.open = undefined;
    try {
      appender.flushSync();
    } catch (err) {
      this.lost ??= err;
      throw err;
    } finally {
      appender.closeSync();
    }
    this.waiting.push(n);
    this.start();
  }

  /** Gives waiting batches to idle workers; after a failure they wait for drain(). */
  private start(): void {
    while (!this.failure && this.idle.length > 0 && this.waiting.length > 0) {
      const n = this.waiting.shift()!;
      const worker = this.idle.pop()!;
      const move: Promise<void> = this.place(n, worker)
        .catch((err: unknown) => {
          this.failure ??= err;
          this.waiting.unshift(n);
        })
        .finally(() => {
          this.moving.delete(move);
          this.idle.push(worker);
          this.start();
        });
      this.moving.add(move);
    }
  }

  private async place(n: number, worker: DuckDBConnection): Promise<void> {
    try {
      await worker.run(`BEGIN TRANSACTION; CREATE TABLE segment_${n} AS ${placedRows(`batch_${n}`)}; DROP TABLE batch_${n}; COMMIT`);
    } catch (err) {
      // A failed COMMIT has already rolled back: the original error is the one to report.
      await worker.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.placed.add(n);
  }
}
