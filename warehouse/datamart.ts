import { dedupKeySql } from '../contract/event-id';
import { DuckDb, memorySettings } from './duckdb';
import { assetPath } from '../lib/package-root';

const MIGRATIONS = assetPath('sql', 'datamart');

/** The analysts' datamart: a DuckDB file with staging → star schema → marts (sql/datamart). */
export class Datamart {
  private constructor(readonly db: DuckDb) {}

  static async open(file: string, opts: { memoryMb?: number } = {}): Promise<Datamart> {
    const mart = new Datamart(await DuckDb.open(file, memorySettings(opts.memoryMb)));
    await mart.db.migrate(MIGRATIONS);
    return mart;
  }

  async loadedFiles(): Promise<Set<string>> {
    const rows = await this.db.all<{ file: string }>('SELECT file FROM load_manifest');
    return new Set(rows.map((r) => r.file));
  }

  /** Files that failed to load, with their size then: retried only once the file changes. */
  async failedFiles(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ file: string; bytes: bigint }>('SELECT file, bytes FROM load_errors');
    return new Map(rows.map((r) => [r.file, Number(r.bytes)]));
  }

  async recordFailure(file: { key: string; bytes: number }, error: string): Promise<void> {
    await this.db.run(
      'INSERT INTO load_errors (file, bytes, error) VALUES ($1, $2, $3) ON CONFLICT (file) DO UPDATE SET bytes = excluded.bytes, error = excluded.error, failed_at = now()',
      [file.key, file.bytes, error.slice(0, 2000)],
    );
  }

  /**
   * Loads lake files in one transaction: staging rows, new events into the fact table, and the
   * manifest rows. A crash anywhere rolls all of it back, so the files are loaded next run.
   */
  async loadFiles(files: { path: string; key: string; bytes: number }[]): Promise<number> {
    if (files.length === 0) return 0;
    const list = `[${files.map((f) => `'${f.path.replace(/'/g, "''")}'`).join(', ')}]`;
    return this.db.transaction(async () => {
      await this.db.run(`CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT * EXCLUDE (filename), filename AS source_path FROM read_parquet(${list}, filename = true, hive_partitioning = false)`);
      const keys = new Map(files.map((f) => [f.path, f.key]));
      const perFile = await this.db.all<{ source_path: string; n: bigint }>('SELECT source_path, count(*) AS n FROM incoming GROUP BY source_path');
      await this.db.run(`INSERT INTO stg_events BY NAME
        SELECT * EXCLUDE (source_path), source_path AS source_file FROM incoming`);
      // One fact per event: ids are kept by their dedup key (lower case, no urn:uuid:), so a retry
      // that spells the id differently is the same event (contract/event-id.ts).
      await this.db.run(`INSERT INTO fct_events
        SELECT ${dedupKeySql('event_id')} AS id, any_value(event_type), min(occurred_at), CAST(min(occurred_at) AS DATE),
               coalesce(any_value(user_id), any_value(anonymous_id)), any_value(user_id), any_value(session_id),
               any_value(product_id), lower(any_value(category)), any_value(price), any_value(quantity),
               any_value(order_id), any_value(revenue), upper(any_value(currency))
        FROM incoming i
        WHERE event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM fct_events f WHERE f.event_id = ${dedupKeySql('i.event_id')})
        GROUP BY id`);
      const counts = new Map(perFile.map((r) => [r.source_path, Number(r.n)]));
      for (const f of files) {
        await this.db.run('INSERT INTO load_manifest (file, rows, bytes) VALUES ($1, $2, $3)', [keys.get(f.path)!, counts.get(f.path) ?? 0, f.bytes]);
      }
      await this.db.run('DROP TABLE incoming');
      return [...counts.values()].reduce((a, b) => a + b, 0);
    });
  }

  close(): void {
    this.db.close();
  }
}
