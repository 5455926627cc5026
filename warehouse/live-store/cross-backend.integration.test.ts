import { datasetAvailable, REES46_SAMPLE_PATH } from '../../ingest/replay/replay-common';
import { readEvents } from '../../ingest/replay/read-events';
import { toLiveEvent } from '../../stream/steps/to-live-event';
import { describeWithServices } from '../../test/integration';
import type { LiveEvent, LiveStore } from '../live-store';
import type { ClickHouseLiveStore } from './clickhouse-live-store';
import { dropTestDatabases, openTestStore } from './clickhouse-test-helpers';
import { DuckDbLiveStore } from './duckdb-live-store';

/**
 * The same REES46 sample replayed into the embedded (DuckDB) and the ClickHouse live store must
 * give identical live views: KPIs, trending and per-user features. In CI a missing sample fails.
 */
const present = datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' });

const TOPIC = 'events.raw';
const RECEIVED_AT = Date.UTC(2019, 9, 1, 3, 0, 0);
const QUALITY = { score: 1, rulesHit: [], rulesVersion: 'test' };
const at = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2019, 9, 1, h, m, s, ms);
const MIN = 60_000;

const WINDOWS = [MIN, 5 * MIN, 15 * MIN, 60 * MIN, 3 * 60 * MIN];
const AS_OF = [at(0, 0, 30), at(0, 10), at(0, 37, 12, 345), at(1, 30), at(2, 15, 30, 500), at(2, 50), at(2, 50, 0, 1), at(3, 30)];

async function loadSample(): Promise<LiveEvent[]> {
  const events: LiveEvent[] = [];
  let offset = 0;
  for await (const r of readEvents(REES46_SAMPLE_PATH, { shiftTo: 'none' })) {
    if (!r.ok) throw new Error(`sample row ${r.line} did not parse: ${r.reason}`);
    events.push(toLiveEvent(r.event, { partition: 0, offset: offset++, receivedAt: RECEIVED_AT }, QUALITY));
    // A wart of real feeds: the same event (same event_id) delivered again at a later offset, which
    // upstream deduplication missed. The live store keys rows by bus offset; both must keep both.
    if (offset % 250 === 7) events.push({ ...events[events.length - 1], bus_offset: offset++ });
  }
  return events;
}

/** Batches of ~1000; every fifth batch is delivered twice (at-least-once), which both must store once. */
async function replay(store: LiveStore, events: LiveEvent[]): Promise<void> {
  for (let i = 0, n = 0; i < events.length; i += 1000, n++) {
    const batch = events.slice(i, i + 1000);
    const next = { 0: batch[batch.length - 1].bus_offset + 1 };
    await store.write(TOPIC, batch, next);
    if (n % 5 === 0) expect(await store.write(TOPIC, batch, next)).toEqual({ written: 0 });
  }
}

/** ~50 users: the most active, buyers and cart users, and a spread of the rest. */
function sampleUsers(events: LiveEvent[]): string[] {
  const count = new Map<string, number>();
  for (const e of events) count.set(e.user_key, (count.get(e.user_key) ?? 0) + 1);
  const byActivity = [...count].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([u]) => u);
  const buyers = [...new Set(events.filter((e) => e.event_type === 'purchase').map((e) => e.user_key))].sort().slice(0, 10);
  const carts = [...new Set(events.filter((e) => e.event_type === 'add_to_cart').map((e) => e.user_key))].sort().slice(0, 10);
  const spread = byActivity.filter((_, i) => i % Math.floor(byActivity.length / 15) === 0);
  return [...new Set([...byActivity.slice(0, 15), ...buyers, ...carts, ...spread])].slice(0, 50);
}

describeWithServices(['clickhouse'], 'DuckDB and ClickHouse live stores on the REES46 sample', () => {
  let events: LiveEvent[];
  let duck: DuckDbLiveStore;
  let ch: ClickHouseLiveStore;

  beforeAll(async () => {
    if (!present) return;
    events = await loadSample();
    duck = await DuckDbLiveStore.open(':memory:');
    await duck.migrate();
    ch = await openTestStore();
    await Promise.all([replay(duck, events), replay(ch, events)]);
  }, 120_000);

  afterAll(async () => {
    await duck?.close();
    await ch?.close();
    await dropTestDatabases();
  });

  const maybe = present ? it : it.skip;

  maybe('stored the same rows, duplicates of an event_id included', async () => {
    expect(events.length).toBeGreaterThan(17_433);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(17_433);
    const expected = { lastOccurredAt: at(2, 50), lastReceivedAt: RECEIVED_AT, events: events.length };
    expect(await duck.freshness()).toEqual(expected);
    expect(await ch.freshness()).toEqual(expected);
    const ids = async (s: LiveStore) => (await s.recentEventIds(RECEIVED_AT)).sort();
    expect(await ids(ch)).toEqual(await ids(duck));
  });

  maybe('gives identical KPIs for every window and as-of time', async () => {
    let compared = 0;
    for (const w of WINDOWS) {
      for (const asOf of AS_OF) {
        const [d, c] = await Promise.all([duck.kpis(w, asOf), ch.kpis(w, asOf)]);
        expect({ w, asOf, report: c }).toEqual({ w, asOf, report: d });
        compared += d.totals.events;
      }
    }
    expect(compared).toBeGreaterThan(50_000); // the probes did cover the data
    const all = await ch.kpis(4 * 60 * MIN, at(3, 0));
    expect(all.totals).toMatchObject({ events: events.length, purchases: events.filter((e) => e.event_type === 'purchase').length });
  });

  maybe('gives identical trending lists', async () => {
    for (const w of [15 * MIN, 60 * MIN]) {
      for (const asOf of AS_OF) {
        for (const limit of [10, 200]) {
          const [d, c] = await Promise.all([duck.trending(w, asOf, limit), ch.trending(w, asOf, limit)]);
          expect({ w, asOf, limit, top: c }).toEqual({ w, asOf, limit, top: d });
        }
      }
    }
    expect((await ch.trending(60 * MIN, at(1, 30), 10)).length).toBe(10);
  });

  maybe('gives identical features for ~50 users, the most active included', async () => {
    const users = sampleUsers(events);
    expect(users.length).toBeGreaterThanOrEqual(45);
    let carts = 0, purchases = 0;
    for (const u of users) {
      for (const asOf of [at(0, 20, 0, 500), at(1, 30), at(2, 50, 0, 1)]) {
        const [d, c] = await Promise.all([duck.userFeatures(u, asOf), ch.userFeatures(u, asOf)]);
        expect(c).toEqual(d);
        carts += d.cart.length;
        purchases += d.last_purchase ? 1 : 0;
      }
    }
    expect(carts).toBeGreaterThan(0);
    expect(purchases).toBeGreaterThan(0);
  });
});
