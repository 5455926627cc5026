import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
