import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../lib/logger';
import type { BusMessage } from '../stream/bus';
import { LakeWriter } from '../stream/lake/lake-writer';
import { tempDir } from '../test/helpers/temp';
import { Datamart } from '../warehouse/datamart';
import { DuckDb } from '../warehouse/duckdb';
import { loadNewFiles } from './loader';

const T = Date.UTC(2026, 10, 23, 9, 0);
function msgs(partition: number, from: number, n: number, idOf = (o: number) => `e-${partition}-${o}`): BusMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const o = from + i;
    const type = o % 10 === 0 ? 'purchase' : 'product_view';
    const props = type === 'purchase' ? { order_id: `o${o}`, revenue: 10, currency: 'usd' } : { product_id: `p${o % 7}`, category: 'Shoes' };
    const e = { event_id: idOf(o), event_type: type, schema_version: 1, occurred_at: new Date(T + o * 1000).toISOString(), user_id: `u${o % 3}`, session_id: `s${o % 4}`, properties: props };
    return { topic: 'events.raw', partition, offset: o, key: 'k', value: Buffer.from(JSON.stringify(e)), timestamp: T };
  });
}

async function writeLake(root: string, batches: BusMessage[][]) {
  const w = await LakeWriter.open({ root, rollRows: 1e9, rollMs: 1e9 });
  for (const b of batches) {
    await w.add(b);
    await w.roll();
  }
  await w.close();
}

describe('datamart loader', () => {
  it('loads each lake file exactly once however often it runs, and dedups events into the star schema', async () => {
    const root = tempDir();
    const mart = await Datamart.open(path.join(tempDir(), 'mart.duckdb'));
    await writeLake(root, [msgs(0, 0, 100), msgs(1, 0, 50)]);
    const first = await loadNewFiles({ lakeRoot: root, mart, logger: silentLogger() });
    expect(first).toMatchObject({ files: 2, rows: 150, skipped: 0 });
    expect(await loadNewFiles({ lakeRoot: root, mart, logger: silentLogger() })).toMatchObject({ files: 0, rows: 0, skipped: 2 });

    // A client retry: the same event_ids again at later offsets (a new file), some spelt in upper case or with urn:uuid:.
    await writeLake(root, [msgs(0, 100, 20, (o) => (o % 3 === 0 ? `E-0-${o - 100}` : o % 3 === 1 ? `urn:uuid:e-0-${o - 100}` : `e-0-${o - 100}`))]);
    expect(await loadNewFiles({ lakeRoot: root, mart, logger: silentLogger() })).toMatchObject({ files: 1, rows: 20 });
    const [stg] = await mart.db.all<{ n: bigint }>('SELECT count(*) AS n FROM stg_events');
    const [fct] = await mart.db.all<{ n: bigint }>('SELECT count(*) AS n FROM fct_events');
    expect([Number(stg.n), Number(fct.n)]).toEqual([170, 150]);
    const [daily] = await mart.db.all<{ purchases: bigint; revenue: number; users: bigint }>('SELECT purchases, revenue, users FROM mart_daily_kpis');
    expect([Number(daily.purchases), daily.revenue, Number(daily.users)]).toEqual([15, 150, 3]);
    const [product] = await mart.db.all<{ category: string }>("SELECT category FROM dim_products WHERE product_id = 'p1'");
    expect(product.category).toBe('shoes');
    mart.close();
  });

  it('loads the good files beside an unreadable one, records it, and never loads anything twice', async () => {
    const root = tempDir();
    // Under a memory limit too (DISTRIBUTARY_DUCKDB_MEMORY_MB), which the datamart applies.
    const mart = await Datamart.open(path.join(tempDir(), 'mart.duckdb'), { memoryMb: 256 });
    const reference = await DuckDb.open(':memory:', { memory_limit: '256MB' });
    const setting = "SELECT current_setting('memory_limit') AS v";
    expect(await mart.db.all(setting)).toEqual(await reference.all(setting));
    reference.close();
    await writeLake(root, [msgs(0, 0, 30), msgs(0, 30, 30)]);
    const dir = path.dirname((await import('../stream/lake/lake-files')).listLakeFiles(root)[0]);
    const corrupt = path.join(dir, 'part-p0009-00000000000000000000-00000000000000000009.parquet');
    fs.writeFileSync(corrupt, 'PAR1 this is not parquet');
    expect(await loadNewFiles({ lakeRoot: root, mart, logger: silentLogger() })).toMatchObject({ files: 2, rows: 60, failed: 1 });
    expect([...(await mart.failedFiles()).keys()]).toEqual([path.relative(root, corrupt)]);
    expect(await loadNewFiles({ lakeRoot: root, mart, logger: silentLogger() })).toMatchObject({ files: 0, failed: 0, skipped: 3 });
    const [fct] = await mart.db.all<{ n: bigint }>('SELECT count(*) AS n FROM fct_events');
    expect(Number(fct.n)).toBe(60);
    mart.close();
  });
});
