import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';
import { runMigrations } from '../lib/migrations';

export type Row = Record<string, unknown>;

/**
 * DuckDB's memory settings for one database: without a limit each database may take 80% of
 * the machine, and the embedded platform runs several in one process. Past the limit DuckDB
 * evicts to its file or to `tempDir` (an in-memory database's default is .tmp in the working
 * directory, which is why callers of in-memory databases pass their own; it is created here).
 * Not for the lake's buffer: its rows are bounded by the roll size, and under a 256 MB limit
 * it failed to allocate a 128 MiB block at ~125k events of 2 KB.
 */
export function memorySettings(memoryMb: number | undefined, tempDir?: string): Record<string, string> {
  if (tempDir) fs.mkdirSync(tempDir, { recursive: true });
  return { ...(memoryMb ? { memory_limit: `${Math.trunc(memoryMb)}MB` } : {}), ...(tempDir ? { temp_directory: tempDir } : {}) };
}

/** One DuckDB database file (or ':memory:') with the helpers every DuckDB adapter uses. */
export class DuckDb {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(file: string, options: Record<string, string> = {}): Promise<DuckDb> {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file, options);
    return new DuckDb(instance, await instance.connect());
  }

  /** A second connection to the same database (readers beside a writer). */
  async connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<void> {
    await this.conn.run(sql, params);
  }

  async all<T = Row>(sql: string, params?: DuckDBValue[], conn: DuckDBConnection = this.conn): Promise<T[]> {
    const reader = await conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as T[];
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.conn.run('COMMIT');
      return result;
    } catch (err) {
      await this.conn.run('ROLLBACK');
      throw err;
    }
  }

  async migrate(dir: string): Promise<string[]> {
    return runMigrations(dir, {
      applied: async () => {
        await this.run('CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, checksum VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)');
        const rows = await this.all<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations');
        return new Map(rows.map((r) => [r.name, r.checksum]));
      },
      apply: (name, statements, checksum) =>
        this.transaction(async () => {
          for (const s of statements) await this.run(s);
          await this.run('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
        }),
    });
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
