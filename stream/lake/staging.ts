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
 * Rows a batch table collects, over as many add() calls as it takes, before it is moved: each
 * move costs ~2 ms whatever its size, while the last batch is moved only when the roll asks.
 */
const BATCH_ROWS = 16_384;

/**
 * Rows on their way to the next roll. Each batch is appended as data chunks to a table of its
 * own, payloads as BLOB bytes (no JS string per row); on a second connection DuckDB then moves
 * waiting batches into table `roll`, decoded and placed by event hour, while JS prepares the
 * next batch. A batch leaves its table only in the transaction that puts it into `roll`, so a
 * failed move loses nothing: drain() retries it, and moves always go oldest first, so `roll`
 * holds rows in the order they arrived.
 */
export class Staging {
  /** The batch being appended to. */
  private open: { table: string; appender: DuckDBAppender; rows: number } | undefined;
  private waiting: string[] = [];
  private batches = 0;
  private moving: Promise<void> = Promise.resolve();
  private failed = false;
  /** Rows that could not be appended: nothing may be committed past them (see drain). */
  private lost: unknown;

  private constructor(
    private readonly db: DuckDb,
    private readonly mover: DuckDBConnection,
  ) {}

  static async open(db: DuckDb): Promise<Staging> {
    await db.run(`CREATE TABLE empty_batch ${BATCH_COLUMNS}`);
    const staging = new Staging(db, await db.connect());
    await staging.clear();
    return staging;
  }

  /** Appends messages in order; they reach `roll` in the background. */
  async append(messages: BusMessage[]): Promise<void> {
    try {
      await this.appendOpen(messages);
    } catch (err) {
      this.lost ??= err;
      throw err;
    }
  }

  private async appendOpen(messages: BusMessage[]): Promise<void> {
    if (!this.open) {
      const table = `batch_${this.batches++}`;
      await this.db.run(`CREATE TABLE ${table} ${BATCH_COLUMNS}`);
      this.open = { table, appender: await this.db.conn.createAppender(table), rows: 0 };
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

  /** Hands the open batch to the mover. */
  private seal(): void {
    if (!this.open) return;
    const { table, appender } = this.open;
    this.open = undefined;
    try {
      appender.flushSync();
    } catch (err) {
      this.lost ??= err;
      throw err;
    } finally {
      appender.closeSync();
    }
    this.waiting.push(table);
    // After a failure, batches wait for drain().
    this.moving = this.moving.then(() => (this.failed ? undefined : this.moveWaiting().catch(() => void (this.failed = true))));
  }

  /** Puts every appended batch into `roll`; throws if they cannot be moved. */
  async drain(): Promise<void> {
    // The writer already counts rows that never reached a batch: it must be reopened, and the
    // bus delivers them again from the last commit.
    if (this.lost) throw new StoreError('the lake buffer lost rows: reopen the writer', false, { cause: this.lost });
    this.seal();
    await this.moving;
    this.failed = false;
    await this.moveWaiting();
  }

  /** Empties `roll`, once its rows are in lake files. */
  async clear(): Promise<void> {
    // Replacing the table rather than deleting its rows hands the memory back at once.
    await this.db.run(`CREATE OR REPLACE TABLE roll AS ${placedRows('empty_batch')} WITH NO DATA`);
  }

  async close(): Promise<void> {
    this.open?.appender.closeSync();
    await this.moving;
    this.mover.closeSync();
  }

  /** Moves all waiting batches in one transaction: one round trip however far behind it is. */
  private async moveWaiting(): Promise<void> {
    const tables = [...this.waiting];
    if (tables.length === 0) return;
    try {
      await this.mover.run(['BEGIN TRANSACTION', ...tables.map((t) => `INSERT INTO roll ${placedRows(t)}`), ...tables.map((t) => `DROP TABLE ${t}`), 'COMMIT'].join(';\n'));
    } catch (err) {
      // A failed COMMIT has already rolled back: the original error is the one to report.
      await this.mover.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.waiting = this.waiting.slice(tables.length);
  }
}
