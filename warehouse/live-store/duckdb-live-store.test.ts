import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLiveStore } from '../../cli/adapters';
import { loadConfig } from '../../lib/config';
import { silentLogger } from '../../lib/logger';
import { tempDir } from '../../test/helpers/temp';
import { DuckDb } from '../duckdb';
import { DuckDbLiveStore } from './duckdb-live-store';
import { liveEvent } from './live-event.fixture';
import { runLiveStoreContract } from './live-store.contract';

runLiveStoreContract('duckdb', async () => {
  const store = await DuckDbLiveStore.open(':memory:');
  await store.migrate();
  return store;
});

describe('duckdb live store: the spill file', () => {
  const hostile = ['', '\\N', 'a\tb', 'line\nbreak', 'cr\rx', 'q"uote', '"', '""', 'back\\slash', 'x\u0000y', 'ü €😀', ' lead', 'trail ', "'; DROP TABLE events; --", 'N', 'NULL'];

  it('stores every text value exactly as given: tabs, newlines, quotes, NUL, a literal \\N, empty vs NULL', async () => {
    const store = await DuckDbLiveStore.open(':memory:');
    await store.migrate();
    const rows = hostile.map((v, i) => liveEvent({ event_id: `e${i}`, search_query: v, page_url: v, user_agent: i % 2 ? null : v, price: i % 3 ? 1e-7 * i : null, bus_offset: i }));
    await store.write('t', rows, { 0: rows.length });
    const back = await store.query<{ event_id: string; search_query: string | null; page_url: string | null; user_agent: string | null; price: number | null }>(
      'SELECT event_id, search_query, page_url, user_agent, price FROM events ORDER BY bus_offset');
    expect(back.map((r) => [r.event_id, r.search_query, r.page_url, r.user_agent, r.price])).toEqual(rows.map((r) => [r.event_id, r.search_query, r.page_url, r.user_agent, r.price]));
    await store.close();
  });

  it('leaves no spill file behind, also when the insert fails', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'live-spill-'));
    const file = path.join(dir, 'live.duckdb');
    const store = await DuckDbLiveStore.open(file);
    await store.migrate();
    await store.write('t', [liveEvent({ bus_offset: 0 })], { 0: 1 });
    await expect(store.write('t', [liveEvent({ bus_offset: 1, schema_version: 2 ** 40 })], { 0: 2 })).rejects.toThrow(/live store write failed/);
    expect(fs.readdirSync(`${file}.spill`)).toEqual([]);
    const [{ n }] = await store.query<{ n: bigint }>('SELECT count(*) AS n FROM events');
    expect(Number(n)).toBe(1);
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('duckdb live store: memory', () => {
  it('takes DISTRIBUTARY_DUCKDB_MEMORY_MB, and past it keeps every row and answers while holding less', async () => {
    const config = loadConfig({ DISTRIBUTARY_DATA_DIR: tempDir(), DISTRIBUTARY_DUCKDB_MEMORY_MB: '128' });
    const store = (await openLiveStore(config, silentLogger())) as DuckDbLiveStore;
    const reference = await DuckDb.open(':memory:', { memory_limit: '128MB' });
    const [{ limit }] = await store.query<{ limit: string }>("SELECT current_setting('memory_limit') AS limit");
    const [{ expected }] = await reference.all<{ expected: string }>("SELECT current_setting('memory_limit') AS expected");
    reference.close();
    expect(limit).toBe(expected);

    // About 240 MB of text, twice the limit, in the batches the real-time worker writes.
    const page = 'https://shop.example/'.padEnd(4000, 'x');
    let offset = 0;
    for (let b = 0; b < 12; b++) {
      const rows = Array.from({ length: 5000 }, () => liveEvent({ user_key: `u${offset % 997}`, page_url: `${page}${offset}`, bus_offset: offset++ }));
      await store.write('t', rows, { 0: offset });
    }
    const [{ n, offsets, text }] = await store.query<{ n: bigint; offsets: bigint; text: bigint }>('SELECT count(*) AS n, count(DISTINCT bus_offset) AS offsets, sum(length(page_url)) AS text FROM events');
    expect([Number(n), Number(offsets), Number(text)]).toEqual([60_000, 60_000, Array.from({ length: 60_000 }, (_, i) => page.length + String(i).length).reduce((a, b) => a + b)]);
    const [{ bytes }] = await store.query<{ bytes: bigint }>('SELECT sum(memory_usage_bytes) AS bytes FROM duckdb_memory()');
    expect(Number(bytes)).toBeLessThanOrEqual(128e6);
    const [{ u5 }] = await store.query<{ u5: bigint }>("SELECT count(*) AS u5 FROM events WHERE user_key = 'u5'");
    expect((await store.userFeatures('u5', Date.UTC(2026, 10, 23, 11))).counts['24h'].events).toBe(Number(u5));
    expect(Number(u5)).toBeGreaterThan(50);
    await store.close();
  });
});
