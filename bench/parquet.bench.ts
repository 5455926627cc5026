import fs from 'node:fs';
import path from 'node:path';
import { createGenerator } from '../ingest/generator/generator';
import type { BusMessage } from '../stream/bus';
import { listLakeFiles } from '../stream/lake/lake-files';
import { LakeWriter } from '../stream/lake/lake-writer';
import { DuckDb } from '../warehouse/duckdb';
import { report, resourceMeter, stats } from './lib/report';
import os from 'node:os';

// parquetjs-lite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parquet = require('parquetjs-lite') as any;

const dirSize = (dir: string) => listLakeFiles(dir).reduce((s, f) => s + fs.statSync(f).size, 0);

/**
 * Lake writer (our path: append raw JSON to DuckDB, extract typed columns, COPY per hour)
 * against DuckDB's own COPY TO PARQUET of the same rows already in a table (the ceiling),
 * and parquetjs-lite writing the same rows row by row. Rounds alternate A B C A B C.
 * CPU time per round is reported too: on a shared machine a process may get less than one
 * core, and then CPU time, not parallelism, decides throughput.
 */
export async function parquetBench(opts: { rows: number; rounds: number }) {
  const gen = createGenerator({ seed: 42, now: () => Date.UTC(2026, 10, 23, 10) });
  const messages: BusMessage[] = gen.batch(opts.rows).map((e, i) => ({ topic: 'events.raw', partition: i % 4, offset: Math.floor(i / 4), key: e.user_id ?? e.anonymous_id!, value: Buffer.from(JSON.stringify(e)), timestamp: Date.UTC(2026, 10, 23, 10) }));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-parquet-'));
  const results: Record<string, { rowsPerSec: number[]; cpuMs: number[]; bytes: number }> = {
    lake_writer: { rowsPerSec: [], cpuMs: [], bytes: 0 }, duckdb_copy: { rowsPerSec: [], cpuMs: [], bytes: 0 }, parquetjs_lite: { rowsPerSec: [], cpuMs: [], bytes: 0 },
  };
  const load = [os.loadavg()[0]];
  let cpu = process.cpuUsage();
  const record = (name: string, seconds: number) => {
    const used = process.cpuUsage(cpu);
    results[name].rowsPerSec.push(opts.rows / seconds);
    results[name].cpuMs.push((used.user + used.system) / 1000);
  };
  const meter = resourceMeter();

  // The baseline's input: the same rows, typed, already inside DuckDB.
  const src = await DuckDb.open(':memory:');
  await src.run('CREATE TABLE raw (payload VARCHAR)');
  const app = await src.conn.createAppender('raw');
  for (const m of messages) {
    app.appendVarchar(m.value.toString());
    app.endRow();
  }
  app.flushSync();
  app.closeSync();
  // Exactly the rows and columns the lake writer writes, read back from its own output.
  const probe = path.join(tmp, 'probe');
  const w0 = await LakeWriter.open({ root: probe, rollRows: 1e12, rollMs: 1e12 });
  await w0.add(messages);
  await w0.close();
  await src.run(`CREATE TABLE typed AS SELECT * FROM read_parquet('${probe}/raw/**/*.parquet') ORDER BY bus_partition, bus_offset`);
  const rows = await src.all<Record<string, string | number | null>>(`SELECT event_id, event_type, CAST(occurred_at AS VARCHAR) AS occurred_at, user_id, session_id, product_id, price, payload FROM typed`);

  for (let round = 0; round < opts.rounds; round++) {
    const lakeDir = path.join(tmp, `lake-${round}`);
    let t = performance.now();
    cpu = process.cpuUsage();
    const writer = await LakeWriter.open({ root: lakeDir, rollRows: 1e12, rollMs: 1e12 });
    for (let i = 0; i < messages.length; i += 5000) await writer.add(messages.slice(i, i + 5000));
    await writer.close();
    record('lake_writer', (performance.now() - t) / 1000);
    results.lake_writer.bytes = dirSize(lakeDir);

    const copyFile = path.join(tmp, `copy-${round}.parquet`);
    t = performance.now();
    cpu = process.cpuUsage();
    await src.run(`COPY typed TO '${copyFile}' (FORMAT parquet, COMPRESSION zstd)`);
    record('duckdb_copy', (performance.now() - t) / 1000);
    results.duckdb_copy.bytes = fs.statSync(copyFile).size;

    const pjFile = path.join(tmp, `pj-${round}.parquet`);
    t = performance.now();
    cpu = process.cpuUsage();
    const schema = new parquet.ParquetSchema({
      event_id: { type: 'UTF8' }, event_type: { type: 'UTF8' }, occurred_at: { type: 'UTF8' }, user_id: { type: 'UTF8', optional: true },
      session_id: { type: 'UTF8' }, product_id: { type: 'UTF8', optional: true }, price: { type: 'DOUBLE', optional: true }, payload: { type: 'UTF8' },
    });
    const w = await parquet.ParquetWriter.openFile(schema, pjFile, { compression: 'SNAPPY' });
    for (const r of rows) await w.appendRow(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)));
    await w.close();
    record('parquetjs_lite', (performance.now() - t) / 1000);
    results.parquetjs_lite.bytes = fs.statSync(pjFile).size;
  }
  src.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  const res = meter();
  load.push(os.loadavg()[0]);
  const summary = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { rows_per_sec: stats(v.rowsPerSec), cpu_ms: stats(v.cpuMs), bytes: v.bytes }]));
  const ratio = summary.lake_writer.rows_per_sec.median / summary.duckdb_copy.rows_per_sec.median;
  report('parquet', opts, Object.entries(summary).map(([k, v]) => ({
    writer: k, 'rows/s median': Math.round(v.rows_per_sec.median), 'min–max': `${Math.round(v.rows_per_sec.min)}–${Math.round(v.rows_per_sec.max)}`, MB: (v.bytes / 1e6).toFixed(2),
    'vs duckdb copy': (v.rows_per_sec.median / summary.duckdb_copy.rows_per_sec.median).toFixed(2),
    'cpu ms/round': Math.round(v.cpu_ms.median),
  })), { ...summary, lake_writer_to_copy_ratio: ratio, load_average_1m: load, ...res });
  return ratio;
}
