import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { DuckDb } from '../../warehouse/duckdb';
import { tempDir } from '../../test/helpers/temp';
import type { BusMessage } from '../bus';
import { listLakeFiles, parseLakeFileName } from './lake-files';
import { LakeWriter } from './lake-writer';

const H10 = Date.UTC(2026, 10, 23, 10, 30);
const H11 = Date.UTC(2026, 10, 23, 11, 5);

function messages(partition: number, from: number, n: number): BusMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const offset = from + i;
    const occurred = offset % 2 === 0 ? H10 : H11;
    const event = { event_id: `e-${partition}-${offset}`, event_type: 'product_view', schema_version: 1, occurred_at: new Date(occurred).toISOString(), user_id: `u${offset % 5}`, session_id: 's', properties: { product_id: `p${offset}`, price: offset / 2, extra: { nested: [1, 2] } } };
    return { topic: 'events.raw', partition, offset, key: `u${offset % 5}`, value: Buffer.from(JSON.stringify(event)), timestamp: H11 + 60_000 };
  });
}

async function readLake(root: string) {
  const db = await DuckDb.open(':memory:');
  const rows = await db.all<{ n: bigint; ids: bigint }>(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM read_parquet('${root}/raw/**/*.parquet', hive_partitioning = true)`);
  const sample = await db.all<Record<string, unknown>>(`SELECT event_id, price, event_date, hour, payload FROM read_parquet('${root}/raw/**/*.parquet', hive_partitioning = true) WHERE event_id = 'e-1-3'`);
  db.close();
  return { n: Number(rows[0].n), ids: Number(rows[0].ids), sample };
}

describe('lake writer', () => {
  it('writes raw events to Parquet by event date and hour, readable by DuckDB and pyarrow', async () => {
    const root = tempDir();
    const writer = await LakeWriter.open({ root, rollRows: 1_000_000, rollMs: 60_000 });
    await writer.add([...messages(0, 0, 50), ...messages(1, 0, 30)]);
    const files = await writer.roll();
    expect(files.map((f) => path.relative(root, f)).sort()).toEqual([
      'raw/event_date=2026-11-23/hour=10/part-p0000-00000000000000000000-00000000000000000049.parquet',
      'raw/event_date=2026-11-23/hour=10/part-p0001-00000000000000000000-00000000000000000029.parquet',
      'raw/event_date=2026-11-23/hour=11/part-p0000-00000000000000000000-00000000000000000049.parquet',
      'raw/event_date=2026-11-23/hour=11/part-p0001-00000000000000000000-00000000000000000029.parquet',
    ]);
    expect(writer.committable()).toEqual({ 0: 50, 1: 30 });
    const lake = await readLake(root);
    expect(lake).toMatchObject({ n: 80, ids: 80 });
    expect(lake.sample[0]).toMatchObject({ event_id: 'e-1-3', price: 1.5, hour: BigInt(11) });
    expect(JSON.parse(String(lake.sample[0].payload)).properties.extra).toEqual({ nested: [1, 2] }); // untransformed
    const py = execFileSync('python3', ['-c', `
import pyarrow.dataset as ds, sys
t = ds.dataset(sys.argv[1], format="parquet", partitioning="hive").to_table()
print(t.num_rows, t.schema.field("occurred_at").type, t.column("event_id").to_pylist().count("e-0-7"))`, path.join(root, 'raw')]).toString().trim();
    expect(py).toBe('80 timestamp[ms] 1');
    await writer.close();
  });

  it('keeps values a TSV line cannot carry (line breaks, tabs, invalid UTF-8) through the appender path', async () => {
    const root = tempDir();
    const writer = await LakeWriter.open({ root, rollRows: 1e9, rollMs: 1e9 });
    const pretty = JSON.stringify({ event_id: 'pretty', event_type: 'page_view', occurred_at: new Date(H10).toISOString() }, null, 2);
    const tabbed = `{"event_id":"tab",\t"event_type":"search","occurred_at":"${new Date(H10).toISOString()}"}`;
    const bad = Buffer.concat([Buffer.from('{"event_id":"bad","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from(`","occurred_at":"${new Date(H10).toISOString()}"}`)]);
    const odd = [pretty, tabbed].map((v, i) => ({ topic: 'events.raw', partition: 0, offset: i, key: 'k', value: Buffer.from(v), timestamp: H11 }));
    await writer.add([...odd, { topic: 'events.raw', partition: 0, offset: 2, key: 'k', value: bad, timestamp: H11 }, ...messages(0, 3, 5)]);
    await writer.roll();
    const db = await DuckDb.open(':memory:');
    const rows = await db.all<{ event_id: string; payload: string }>(`SELECT event_id, payload FROM read_parquet('${root}/raw/**/*.parquet') ORDER BY bus_offset`);
    db.close();
    expect(rows.map((r) => r.event_id)).toEqual(['pretty', 'tab', 'bad', 'e-0-3', 'e-0-4', 'e-0-5', 'e-0-6', 'e-0-7']);
    expect(rows[0].payload).toBe(pretty);
    await writer.close();
  });

  it('rolls by size and by age, and a replay after a crash rewrites nothing twice', async () => {
    const root = tempDir();
    const a = await LakeWriter.open({ root, rollRows: 40, rollMs: 1000 });
    await a.add(messages(0, 0, 45)); // 45 ≥ 40 rows: rolled
    expect(listLakeFiles(root)).toHaveLength(2);
    await a.add(messages(0, 45, 10), Date.now());
    expect(await a.tick(Date.now() + 5000)).toHaveLength(2); // age
    // Crash: nothing was committed. A new writer re-reads everything from offset 0.
    const before = listLakeFiles(root);
    const b = await LakeWriter.open({ root, rollRows: 40, rollMs: 1000 });
    await b.add(messages(0, 0, 55));
    expect(b.committable()).toEqual({ 0: 55 });
    await b.add(messages(0, 55, 5));
    await b.roll();
    const after = listLakeFiles(root);
    expect(after.filter((f) => !before.includes(f)).map((f) => parseLakeFileName(path.basename(f)))).toEqual([
      { partition: 0, first: 55, last: 59 }, { partition: 0, first: 55, last: 59 },
    ]);
    expect(await readLake(root)).toMatchObject({ n: 60, ids: 60 });
    await a.close();
    await b.close();
  });

  it('keeps every row of many batches, each file in offset order, also when offsets arrive out of order', async () => {
    const root = tempDir();
    const writer = await LakeWriter.open({ root, rollRows: 1e9, rollMs: 1e9 });
    const all = [...messages(0, 0, 50_000), ...messages(1, 0, 50_000)];
    // Partition 2 arrives out of order (a consumer that seeks back): its files must still be sorted.
    const shuffled = [...messages(2, 20, 20), ...messages(2, 0, 20)];
    for (let i = 0; i < all.length; i += 5_000) await writer.add(all.slice(i, i + 5_000)); // several batches, placed in the background
    await writer.add(shuffled);
    await writer.close();
    const db = await DuckDb.open(':memory:');
    const files = await db.all<{ filename: string; n: bigint; sorted: boolean }>(`SELECT filename, count(*) AS n,
      bool_and(bus_offset > prev) AS sorted FROM (SELECT filename, bus_offset, lag(bus_offset, 1, -1) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
      FROM read_parquet('${root}/raw/**/*.parquet', filename = true, file_row_number = true)) GROUP BY filename`);
    db.close();
    expect(files).toHaveLength(6);
    expect(files.every((f) => f.sorted)).toBe(true);
    expect(files.reduce((s, f) => s + Number(f.n), 0)).toBe(100_040);
    expect(await readLake(root)).toMatchObject({ n: 100_040, ids: 100_040 });
  });

  it('writes events dated outside 1677–2262 instead of failing every roll', async () => {
    const root = tempDir();
    const writer = await LakeWriter.open({ root, rollRows: 1e9, rollMs: 1e9 });
    const dated = ['0033-04-03T15:00:00Z', '2300-01-01T00:30:00Z'].map((occurred_at, offset) => ({
      topic: 'events.raw', partition: 0, offset, key: 'k', value: Buffer.from(JSON.stringify({ event_id: `old-${offset}`, occurred_at })), timestamp: H11,
    }));
    const files = await writer.roll().then(() => writer.add(dated)).then(() => writer.roll());
    expect(files.map((f) => path.relative(root, path.dirname(f))).sort()).toEqual(['raw/event_date=0033-04-03/hour=15', 'raw/event_date=2300-01-01/hour=00']);
    expect(writer.committable()).toEqual({ 0: 2 });
    await writer.close();
  });
});

describe('lake writer: hostile raw payloads', () => {
  it('never stops on a payload it cannot read: not JSON, not an object, extreme or odd times; each is kept raw', async () => {
    const root = tempDir();
    const writer = await LakeWriter.open({ root, rollRows: 1_000_000, rollMs: 60_000 });
    const odd = ['not json at all', '{"occurred_at": "2026-11-23T10:', '[1,2,3]', '"a string"', 'null', '{"occurred_at": "294247-01-10T04:00:54.775Z", "event_id": "far"}',
      '{"occurred_at": "-290308-12-21T19:59:05.225Z", "event_id": "early"}', '{"occurred_at": 12, "properties": "x"}', '{"occurred_at": "9999-12-31T23:59:59.999Z", "price": 1e400}'];
    const hostile: BusMessage[] = odd.map((value, i) => ({ topic: 'events.raw', partition: 2, offset: i, key: 'k', value: Buffer.from(value), timestamp: H11 }));
    await writer.add([...messages(0, 0, 10), ...hostile]);
    const files = await writer.roll();
    expect(files.length).toBeGreaterThan(0);
    const db = await DuckDb.open(':memory:');
    const rows = await db.all<{ payload: string }>(`SELECT payload FROM read_parquet('${root}/raw/**/*.parquet') WHERE bus_partition = 2 ORDER BY bus_offset`);
    db.close();
    expect(rows.map((r) => r.payload)).toEqual(odd);
    expect(writer.committable()).toMatchObject({ 0: 10, 2: odd.length });
    await writer.close();
  });
});
