import { createClient } from '@clickhouse/client';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { clickhouseUrl, describeWithServices } from '../../test/integration';
import type { LiveEvent } from '../live-store';
import { clickhouseDialect } from '../live-views';
import { ClickHouseLiveStore } from './clickhouse-live-store';
import { command, dropTestDatabases, openTestStore, snapshot, testDatabaseName } from './clickhouse-test-helpers';
import { liveEvent } from './live-event.fixture';
import { runLiveStoreContract } from './live-store.contract';
import { buildKpiReport } from './view-results';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const TOPIC = 'events.raw';
const MIGRATION_FILES = fs.readdirSync(path.resolve(__dirname, '../../sql/clickhouse')).filter((f) => /^\d{3}_.+\.sql$/.test(f));

/** A deterministic mix of users, sessions, types and times (ms precision) over ~`minutes`. */
function mixedBatch(n: number, partition: number, firstOffset = 0, minutes = 30): LiveEvent[] {
  const types = ['page_view', 'product_view', 'product_view', 'search', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase'];
  return Array.from({ length: n }, (_, i) => {
    const type = types[(i * 7 + partition) % types.length];
    const user = `user-${(i * 13) % 97}`;
    return liveEvent({
      bus_partition: partition,
      bus_offset: firstOffset + i,
      occurred_at: T0 + Math.floor(((i * 7919) % (minutes * 60_000)) + (i % 1000)),
      received_at: T0 + minutes * 60_000 + i,
      user_key: user,
      user_id: user,
      session_id: `${user}-s${i % 3}`,
      event_type: type,
      product_id: type === 'page_view' || type === 'search' ? null : `p${(i * 31) % 53}`,
      category: i % 5 === 0 ? null : `cat${(i * 3) % 7}`,
      quantity: type === 'add_to_cart' || type === 'remove_from_cart' ? 1 + (i % 3) : null,
      order_id: type === 'purchase' ? `o${i}` : null,
      revenue: type === 'purchase' ? (i % 4 === 0 ? null : Math.round(((i * 37) % 10_000) + 0.99) / 100) : null,
    });
  });
}

/** Windows and as-of times around the data, minute-aligned and not. */
const PROBES: [number, number][] = [
  [15 * 60_000, T0 + 10 * 60_000],
  [15 * 60_000, T0 + 17 * 60_000 + 12_345],
  [60 * 60_000, T0 + 30 * 60_000],
  [5 * 60_000, T0 + 21 * 60_000 + 59_999],
  [60_000, T0 + 3 * 60_000 + 1],
  [30_000, T0 + 7 * 60_000 + 45_000],
  [3 * 60 * 60_000, T0 + 2 * 60 * 60_000 + 7],
];

async function views(store: ClickHouseLiveStore) {
  const out: unknown[] = [];
  for (const [w, asOf] of PROBES) out.push(await store.kpis(w, asOf), await store.trending(w, asOf, 25));
  for (const u of ['user-0', 'user-13', 'user-50']) out.push(await store.userFeatures(u, T0 + 20 * 60_000));
  return out;
}

describeWithServices(['clickhouse'], 'ClickHouse live store', () => {
  afterAll(async () => {
    await dropTestDatabases();
  });

  runLiveStoreContract('clickhouse', () => openTestStore());

  describe('migrations', () => {
    it('create the database, are recorded once, and a second run is a no-op', async () => {
      const store = await openTestStore();
      try {
        await store.migrate();
        await store.migrate();
        const rows = await store.query<{ name: string; n: string }>('SELECT name, count() AS n FROM schema_migrations GROUP BY name ORDER BY name');
        expect(rows.map((r) => [r.name, Number(r.n)])).toEqual(MIGRATION_FILES.sort().map((f) => [f, 1]));
      } finally {
        await store.close();
      }
    });

    it('re-run every statement harmlessly when the bookkeeping is lost (a migration cut short)', async () => {
      const store = await openTestStore();
      try {
        await store.write(TOPIC, mixedBatch(200, 0), { 0: 200 });
        const before = await snapshot(store);
        await command(store.database, 'DROP TABLE schema_migrations'); // as if every migration had stopped before its record
        await store.migrate();
        expect(await snapshot(store)).toEqual(before);
        // One materialized view per rollup still: a new row is counted once everywhere.
        await store.write(TOPIC, mixedBatch(10, 1), { 1: 10 });
        const after = await snapshot(store);
        expect((after.events as unknown[]).length).toBe(210);
        const tables = await store.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name");
        expect(tables.map((t) => t.name)).toEqual(['events_by_time_mv', 'kpi_minute_mv', 'sink_landed_mv', 'trending_minute_mv', 'user_minute_mv']);
        expect((await store.kpis(3 * 60 * 60_000, T0 + 60 * 60_000)).totals.events).toBe(210);
      } finally {
        await store.close();
      }
    });

    it('refuse a database name that is not an identifier', async () => {
      await expect(ClickHouseLiveStore.open({ url: clickhouseUrl(), database: 'x; DROP DATABASE default' })).rejects.toThrow(/invalid ClickHouse database name/);
    });
  });

  describe('exactly once under redelivery', () => {
    const batch = [...mixedBatch(600, 0), ...mixedBatch(400, 1)];
    const next = { 0: 600, 1: 400 };
    let reference: ClickHouseLiveStore;
    let expected: Record<string, unknown[]>;
    let expectedViews: unknown[];

    beforeAll(async () => {
      reference = await openTestStore();
      expect(await reference.write(TOPIC, batch, next)).toEqual({ written: 1000 });
      expected = await snapshot(reference);
      expectedViews = await views(reference);
    });
    afterAll(async () => {
      await reference.close();
    });

    /** A store whose first write is killed after its insert, before the watermark update (and the bus commit). */
    const killedAfterFirstInsert = () => {
      let crash = true;
      return openTestStore({
        afterInsert: () => {
          if (crash) {
            crash = false;
            throw new Error('killed after the insert, before the watermark update');
          }
        },
      });
    };

    it('a batch inserted but not acknowledged (killed before the watermark moved) is not stored twice', async () => {
      const store = await killedAfterFirstInsert();
      try {
        await expect(store.write(TOPIC, batch, next)).rejects.toThrow(/write failed/);
        expect(await store.write(TOPIC, batch, next)).toEqual({ written: 0 }); // all landed before the crash
        expect(await store.write(TOPIC, batch, next)).toEqual({ written: 0 }); // and now below the watermark
        expect(await snapshot(store)).toEqual(expected);
        expect(await views(store)).toEqual(expectedViews);
      } finally {
        await store.close();
      }
    });

    it('a coalesced batch of several partitions killed after its insert is stored once when redelivered regrouped', async () => {
      const store = await killedAfterFirstInsert();
      try {
        // The consumer put chunks of both partitions into one call; after the crash each partition
        // comes back on its own (another member, or chunks cut differently), overlapping the rest.
        await expect(store.write(TOPIC, [...batch.slice(0, 300), ...batch.slice(600, 800)], { 0: 300, 1: 200 })).rejects.toThrow(/write failed/);
        expect(await store.write(TOPIC, batch.slice(100, 600), { 0: 600 })).toEqual({ written: 300 });
        expect(await store.write(TOPIC, batch.slice(600), { 1: 400 })).toEqual({ written: 200 });
        expect(await store.write(TOPIC, batch, next)).toEqual({ written: 0 });
        expect(await snapshot(store)).toEqual(expected);
        expect(await views(store)).toEqual(expectedViews);
      } finally {
        await store.close();
      }
    });

    it('an insert that landed only in part is completed, not repeated', async () => {
      const store = await openTestStore();
      try {
        // What an INSERT cut off mid-stream leaves: some rows of the batch (a prefix, and some scattered ones).
        await store.insertEvents(TOPIC, [...batch.slice(0, 300), ...batch.filter((_, i) => i % 7 === 0 && i >= 300)]);
        const partial = (await snapshot(store)).events.length;
        expect(await store.write(TOPIC, batch, next)).toEqual({ written: 1000 - partial });
        expect(await snapshot(store)).toEqual(expected);
        expect(await views(store)).toEqual(expectedViews);
      } finally {
        await store.close();
      }
    });

    it('overlapping and repeated batches of two concurrent workers on different partitions', async () => {
      const database = testDatabaseName();
      const [a, b] = [await openTestStore({ database }), await openTestStore({ database })];
      try {
        const p0 = batch.filter((e) => e.bus_partition === 0);
        const p1 = batch.filter((e) => e.bus_partition === 1);
        const run = async (store: ClickHouseLiveStore, events: LiveEvent[], partition: number) => {
          // batches of 100, each delivered again with the next one (at-least-once with overlap)
          for (let i = 0; i < events.length; i += 100) {
            await store.write(TOPIC, events.slice(Math.max(0, i - 50), i + 100), { [partition]: Math.min(events.length, i + 100) });
          }
          await store.write(TOPIC, events, { [partition]: events.length });
        };
        await Promise.all([run(a, p0, 0), run(b, p1, 1), run(a, p0, 0)]);
        expect(await snapshot(a)).toEqual(expected);
        expect(await views(b)).toEqual(expectedViews);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('waits for an earlier insert of the same partitions that is still running on the server', async () => {
      const store = await openTestStore();
      const other = createClient({ url: clickhouseUrl(), database: store.database });
      try {
        // An INSERT whose client died keeps running server-side; a query with its id stands in for it.
        const queryId = `${store.insertIdPrefix(TOPIC)}0.3:${randomUUID()}`;
        const zombie = other.query({ query: 'SELECT sleep(1.5)', query_id: queryId, format: 'JSONEachRow' }).then((r) => r.json());
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        await store.write(TOPIC, mixedBatch(5, 1), { 1: 5 }); // partition 1: not blocked
        expect(Date.now() - started).toBeLessThan(1000);
        await store.write(TOPIC, mixedBatch(5, 0), { 0: 5 }); // partition 0: waits
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
        await zombie;
      } finally {
        await other.close();
        await store.close();
      }
    });
  });

  describe('views', () => {
    it('KPIs from the rollup equal the raw aggregation over events, for any window edges', async () => {
      const store = await openTestStore();
      try {
        const events = mixedBatch(3000, 0, 0, 45);
        for (let i = 0; i < events.length; i += 500) await store.write(TOPIC, events.slice(i, i + 500), { 0: i + 500 });
        const probes: [number, number][] = [...PROBES];
        for (let i = 0; i < 25; i++) probes.push([((i * 7919) % 40) * 60_000 + ((i * 104_729) % 60_000) + 1, T0 + ((i * 15_485_863) % (50 * 60_000))]);
        for (const [w, asOf] of probes) {
          const fromRollup = await store.kpis(w, asOf);
          const raw = await buildKpiReport(store, clickhouseDialect, w, asOf);
          expect(fromRollup).toEqual(raw);
        }
      } finally {
        await store.close();
      }
    });

    it('stores names and text verbatim whatever they contain', async () => {
      const store = await openTestStore();
      try {
        const topic = "it's \\ a\ttopic";
        const e = liveEvent({ bus_offset: 0, occurred_at: T0, user_key: 'ü\'"\\\n', category: 'a\u0000b', product_id: 'p\'1' });
        expect(await store.write(topic, [e], { 0: 1 })).toEqual({ written: 1 });
        expect(await store.write(topic, [e], { 0: 1 })).toEqual({ written: 0 });
        const f = await store.userFeatures(e.user_key, T0 + 1);
        expect(f.last_viewed_products).toEqual([{ product_id: "p'1", category: 'a\u0000b', at: new Date(T0).toISOString() }]);
        expect(await store.trending(60_000, T0 + 1)).toEqual([{ product_id: "p'1", category: 'a\u0000b', views: 1, carts: 0, purchases: 0, score: 1 }]);
      } finally {
        await store.close();
      }
    });
  });

  describe('retention', () => {
    it('drops whole old days everywhere and deletes the rest row by row', async () => {
      const store = await openTestStore();
      try {
        const day = (d: number, h: number) => Date.UTC(2026, 10, 20 + d, h);
        let o = 0;
        const ev = (occurred: number, received: number) => liveEvent({ bus_offset: o++, occurred_at: occurred, received_at: received });
        await store.write(TOPIC, [ev(day(0, 10), day(0, 10)), ev(day(0, 11), day(0, 11)), ev(day(1, 1), day(1, 1)), ev(day(1, 20), day(1, 20)), ev(day(2, 5) + 1, day(2, 5) + 1)], { 0: o });
        await store.writeDlq([0, 1, 2].map((d) => ({ stage: 'ingest', reason: 'r', rule: null, errors: [], event_id: null, payload: '{}', failed_at: day(d, 12) })));
        await store.deleteOlderThan(day(1, 12));
        expect((await store.freshness()).events).toBe(2);
        expect((await store.dlq(10)).map((d) => d.failed_at)).toEqual([day(2, 12), day(1, 12)]);
        const parts = await store.query<{ table: string; partition: string }>(
          "SELECT DISTINCT table, partition FROM system.parts WHERE database = currentDatabase() AND active AND table != 'schema_migrations' AND table != 'sink_offsets' ORDER BY table, partition",
        );
        expect(parts.filter((p) => p.partition === '20261120')).toEqual([]); // day 0: gone from every table
        expect(parts.filter((p) => p.partition === '20261121').map((p) => p.table).sort()).toEqual(
          ['dlq', 'events', 'events_by_time', 'kpi_minute', 'sink_landed', 'trending_minute', 'user_minute'],
        );
        expect((await store.kpis(60 * 60_000, day(2, 6))).totals.events).toBe(1);
        expect(await store.recentEventIds(0)).toHaveLength(2);
      } finally {
        await store.close();
      }
    });
  });

  it('takes a 50k-event batch in one write', async () => {
    const store = await openTestStore();
    try {
      const big = mixedBatch(50_000, 3, 1_000_000, 180);
      const started = Date.now();
      expect(await store.write(TOPIC, big, { 3: 1_050_000 })).toEqual({ written: 50_000 });
      const ms = Date.now() - started;
      expect(await store.write(TOPIC, big, { 3: 1_050_000 })).toEqual({ written: 0 });
      expect((await store.freshness()).events).toBe(50_000);
      expect((await store.kpis(4 * 60 * 60_000, T0 + 3 * 60 * 60_000 + 60_000)).totals.events).toBe(50_000);
      console.log(`clickhouse live store: 50k-event batch written in ${ms} ms`);
    } finally {
      await store.close();
    }
  }, 120_000);
});
