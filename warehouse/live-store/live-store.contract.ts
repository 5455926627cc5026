import type { HourReport, LiveStore } from '../live-store';
import { liveEvent } from './live-event.fixture';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const min = (m: number, s = 0) => T0 + m * 60_000 + s * 1000;

/** The behaviour every live-store adapter must have; `make` returns a migrated, empty store. */
export function runLiveStoreContract(name: string, make: () => Promise<LiveStore>): void {
  describe(`${name} live store contract`, () => {
    let store: LiveStore;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    it('stores a redelivered batch once, by partition watermarks', async () => {
      const batch = [0, 1, 2].map((o) => liveEvent({ bus_partition: 1, bus_offset: o, occurred_at: min(1) }));
      expect(await store.write('events.raw', batch, { 1: 3 })).toEqual({ written: 3 });
      expect(await store.write('events.raw', batch, { 1: 3 })).toEqual({ written: 0 });
      const overlap = [2, 3].map((o) => liveEvent({ bus_partition: 1, bus_offset: o, occurred_at: min(1) }));
      expect(await store.write('events.raw', overlap, { 1: 4 })).toEqual({ written: 1 });
      expect(await store.write('events.raw', [liveEvent({ bus_partition: 2, bus_offset: 0, occurred_at: min(1) })], { 2: 1 })).toEqual({ written: 1 });
      expect((await store.kpis(15 * 60_000, min(5))).totals.events).toBe(5);
      expect((await store.freshness()).events).toBe(5);
    });

    it('computes per-minute KPIs, conversion and revenue over a window', async () => {
      const p = { bus_partition: 0 };
      let o = 0;
      const events = [
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(0, 10), user_key: 'a', session_id: 'sa', event_type: 'page_view', product_id: null }),
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(0, 20), user_key: 'a', session_id: 'sa', event_type: 'product_view' }),
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(1, 5), user_key: 'a', session_id: 'sa', event_type: 'add_to_cart', quantity: 2 }),
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(1, 30), user_key: 'a', session_id: 'sa', event_type: 'purchase', product_id: null, order_id: 'o1', revenue: 200 }),
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(1, 40), user_key: 'b', session_id: 'sb', event_type: 'product_view', product_id: 'p2' }),
        liveEvent({ ...p, bus_offset: o++, occurred_at: min(-30), user_key: 'c', session_id: 'sc', event_type: 'purchase', revenue: 999 }), // outside the window
      ];
      await store.write('events.raw', events, { 0: o });
      const k = await store.kpis(15 * 60_000, min(2));
      expect(k.window).toBe('15m');
      expect(k.totals).toMatchObject({ events: 5, active_users: 2, active_sessions: 2, carts: 1, purchases: 1, revenue: 200, cart_sessions: 1, purchase_sessions: 1, conversion: 0.5 });
      expect(k.totals.by_type).toMatchObject({ page_view: 1, product_view: 2, add_to_cart: 1, purchase: 1, search: 0 });
      expect(k.minutes.map((m) => [m.minute, m.events, m.active_users])).toEqual([
        [new Date(min(0)).toISOString(), 2, 1],
        [new Date(min(1)).toISOString(), 3, 2],
      ]);
    });

    it('ranks trending products by views and cart adds within the window', async () => {
      let o = 0;
      const ev = (product_id: string, event_type: string, m = 1) => liveEvent({ bus_offset: o++, product_id, event_type, occurred_at: min(m) });
      await store.write('events.raw', [ev('x', 'product_view'), ev('x', 'product_view'), ev('y', 'add_to_cart'), ev('z', 'product_view'), ev('old', 'add_to_cart', -100)], { 0: o });
      const top = await store.trending(15 * 60_000, min(2), 10);
      expect(top.map((t) => [t.product_id, t.score])).toEqual([['y', 3], ['x', 2], ['z', 1]]);
      expect(await store.trending(15 * 60_000, min(2), 1)).toHaveLength(1);
    });

    it('builds per-user features: last viewed, cart since last purchase, windowed counts', async () => {
      let o = 0;
      const ev = (over: Parameters<typeof liveEvent>[0]) => liveEvent({ bus_offset: o++, user_key: 'u', ...over });
      await store.write('events.raw', [
        ev({ event_type: 'product_view', product_id: 'p1', category: 'c1', occurred_at: min(-120) }),
        ev({ event_type: 'add_to_cart', product_id: 'p1', quantity: 1, occurred_at: min(-119) }),
        ev({ event_type: 'purchase', product_id: null, order_id: 'o-1', revenue: 100, currency: 'EUR', occurred_at: min(-118) }),
        ev({ event_type: 'product_view', product_id: 'p2', category: 'c2', occurred_at: min(-30) }),
        ev({ event_type: 'product_view', product_id: 'p3', category: 'c2', occurred_at: min(-5) }),
        ev({ event_type: 'add_to_cart', product_id: 'p3', quantity: 3, price: 7.5, occurred_at: min(-4) }),
        ev({ event_type: 'remove_from_cart', product_id: 'p3', quantity: 1, occurred_at: min(-3) }),
        ev({ event_type: 'add_to_cart', product_id: 'p2', quantity: 1, occurred_at: min(-2) }),
        ev({ event_type: 'remove_from_cart', product_id: 'p2', quantity: 1, occurred_at: min(-1) }),
        ev({ event_type: 'product_view', product_id: 'later', occurred_at: min(10) }), // after asOf
        ev({ user_key: 'someone-else', event_type: 'product_view', product_id: 'p9', occurred_at: min(-1) }),
      ], { 0: o });
      const f = await store.userFeatures('u', min(0), 10);
      expect(f.last_viewed_products.map((p) => p.product_id)).toEqual(['p3', 'p2', 'p1']);
      expect(f.last_viewed_categories.map((c) => c.category)).toEqual(['c2', 'c1']);
      expect(f.cart).toEqual([{ product_id: 'p3', quantity: 2, price: 7.5 }]);
      expect(f.counts['15m']).toEqual({ events: 5, product_views: 1, add_to_carts: 2, purchases: 0, searches: 0 });
      expect(f.counts['1h'].events).toBe(6);
      expect(f.counts['24h']).toMatchObject({ events: 9, purchases: 1 });
      expect(f.last_purchase).toEqual({ order_id: 'o-1', revenue: 100, currency: 'EUR', at: new Date(min(-118)).toISOString() });
      expect(f.last_seen_at).toBe(new Date(min(-1)).toISOString());
    });

    it('answers an unknown or hostile user key with empty features, not an error', async () => {
      await store.write('events.raw', [liveEvent({ bus_offset: 0, user_key: "o'brien\\", occurred_at: min(0) })], { 0: 1 });
      for (const key of ["x' OR '1'='1", "'; DROP TABLE events; --", '\\', 'nobody', '\u0000', "o'brien"]) {
        const f = await store.userFeatures(key, min(1));
        expect(f.last_viewed_products).toEqual([]);
        expect(f.counts['24h'].events).toBe(0);
      }
      expect((await store.userFeatures("o'brien\\", min(1))).counts['24h'].events).toBe(1);
      expect((await store.freshness()).events).toBe(1);
    });

    it('keeps DLQ entries queryable and remembers recent event ids', async () => {
      await store.writeDlq([{ stage: 'ingest', reason: 'schema_invalid', rule: null, errors: ['/price must be number'], event_id: 'e1', payload: '{"price":"x"}', failed_at: min(0) }]);
      const dlq = await store.dlq(10);
      expect(dlq).toEqual([{ stage: 'ingest', reason: 'schema_invalid', rule: null, errors: ['/price must be number'], event_id: 'e1', payload: '{"price":"x"}', failed_at: min(0) }]);
      const e = liveEvent({ bus_offset: 0, received_at: min(0) });
      await store.write('events.raw', [e, liveEvent({ bus_offset: 1, received_at: min(-100) })], { 0: 2 });
      expect(await store.recentEventIds(min(-1))).toEqual([e.event_id]);
      await store.deleteOlderThan(min(-1));
      expect((await store.freshness()).events).toBe(1);
    });

    it('keeps the newest data-quality report per worker and hour, and drops old hours with retention', async () => {
      const hour = (h: number, events: number, note = ''): HourReport => ({
        hour: new Date(Date.UTC(2026, 10, 23, h)).toISOString(), events, stored: events, dlq: 0, duplicates: 0, late: 0, bot: 0,
        by_type: { [`product_view${note}`]: events }, rejects_by_rule: {}, reject_rate_by_rule: {}, shares: { reject: 0, late: 0, duplicate: 0, bot: 0 }, alerts: [],
      });
      const at = Date.UTC(2026, 10, 23, 12);
      await store.writeQualityReport('w1', hour(10, 5), at);
      await store.writeQualityReport('w1', hour(10, 9, "'; DROP TABLE events; --"), at + 60_000);
      await store.writeQualityReport('w2', hour(10, 3), at);
      await store.writeQualityReport('w1', hour(11, 4), at);
      const all = await store.qualityReports(Date.UTC(2026, 10, 23, 10));
      expect(all.map((r) => [r.worker, r.report.hour.slice(11, 13), r.report.events])).toEqual([['w1', '10', 9], ['w2', '10', 3], ['w1', '11', 4]]);
      expect(all[0].report).toEqual(hour(10, 9, "'; DROP TABLE events; --"));
      expect((await store.qualityReports(Date.UTC(2026, 10, 23, 11))).map((r) => r.report.events)).toEqual([4]);
      await store.deleteOlderThan(Date.UTC(2026, 10, 23, 11));
      expect((await store.qualityReports(0)).map((r) => r.report.events)).toEqual([4]);
    });
  });
}
