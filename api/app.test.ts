import request from 'supertest';
import { silentLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { DuckDbLiveStore } from '../warehouse/live-store/duckdb-live-store';
import { liveEvent } from '../warehouse/live-store/live-event.fixture';
import type { HourReport } from '../warehouse/live-store';
import { createApiApp } from './app';

const NOW = Date.UTC(2026, 10, 23, 12, 0);

async function setup() {
  const store = await DuckDbLiveStore.open(':memory:');
  await store.migrate();
  await store.write('events.raw', [
    liveEvent({ bus_offset: 0, user_key: 'u/1', event_type: 'product_view', product_id: 'p1', occurred_at: NOW - 60_000, received_at: NOW - 59_000 }),
    liveEvent({ bus_offset: 1, user_key: 'u/1', event_type: 'add_to_cart', product_id: 'p1', quantity: 2, occurred_at: NOW - 30_000 }),
  ], { 0: 2 });
  const metrics = createMetrics();
  const app = createApiApp({ store, metrics, logger: silentLogger(), now: () => NOW });
  return { app, store, metrics };
}

describe('API', () => {
  it('serves hourly data-quality reports: workers of an hour merged, newest hour first, alerts recomputed', async () => {
    const { app, store } = await setup();
    const report = (hour: number, events: number, dlq: number, bot: number): HourReport => ({
      hour: new Date(Date.UTC(2026, 10, 23, hour)).toISOString(), events, stored: events - dlq, dlq, duplicates: 0, late: 0, bot,
      by_type: { product_view: events }, rejects_by_rule: dlq ? { bot_user_agent: dlq } : {}, reject_rate_by_rule: {}, shares: { reject: 0, late: 0, duplicate: 0, bot: 0 }, alerts: [],
    });
    await store.writeQualityReport('a', report(11, 100, 0, 0), NOW - 3_000_000);
    await store.writeQualityReport('a', report(11, 400, 10, 10), NOW - 2_000_000); // the newer snapshot of worker a wins
    await store.writeQualityReport('b', report(11, 600, 90, 90), NOW - 2_000_000);
    await store.writeQualityReport('a', report(12, 50, 0, 0), NOW);
    await store.writeQualityReport('a', report(1, 50, 0, 0), NOW); // 11 hours ago: outside hours=2
    const res = await request(app).get('/v1/quality?hours=2');
    expect(res.status).toBe(200);
    expect(res.body.hours.map((h: HourReport) => h.hour)).toEqual(['2026-11-23T12:00:00.000Z', '2026-11-23T11:00:00.000Z']);
    expect(res.body.hours[1]).toMatchObject({ events: 1000, dlq: 100, bot: 100, workers: 2, rejects_by_rule: { bot_user_agent: 100 }, reject_rate_by_rule: { bot_user_agent: 0.1 }, shares: { reject: 0.1, bot: 0.1 } });
    expect(res.body.hours[1].alerts).toEqual([{ check: 'reject', value: 0.1, threshold: 0.05 }]);
    expect((await request(app).get('/v1/quality?hours=0')).body.error).toMatchObject({ code: 'invalid_hours' });
  });

  it('serves per-user features, KPIs and trending from the live store', async () => {
    const { app } = await setup();
    const f = await request(app).get('/v1/users/u%2F1/features');
    expect(f.status).toBe(200);
    expect(f.body.cart).toEqual([{ product_id: 'p1', quantity: 2, price: 100 }]);
    expect(f.body.last_viewed_products[0].product_id).toBe('p1');
    const k = await request(app).get('/v1/live/kpis?window=15m');
    expect(k.body.totals).toMatchObject({ events: 2, carts: 1, active_users: 1 });
    const t = await request(app).get('/v1/live/trending?window=1h&limit=5');
    expect(t.body.products).toEqual([expect.objectContaining({ product_id: 'p1', views: 1, carts: 1, score: 4 })]);
    expect(t.body.window).toBe('60m');
    expect((await request(app).get('/v1/live/trending?window=61s')).body.window).toBe('61s');
    expect((await request(app).get('/v1/live/kpis?window=61s')).body.window).toBe('61s');
    const past = await request(app).get(`/v1/live/kpis?window=15m&as_of=${new Date(NOW - 45_000).toISOString()}`);
    expect(past.body.totals.events).toBe(1);
  });

  it('rejects bad parameters with 400 and a code, unknown routes with 404', async () => {
    const { app } = await setup();
    for (const url of ['/v1/live/kpis?window=15x', '/v1/live/kpis?window=0m', '/v1/live/kpis?window=1h&window=7d', '/v1/live/trending?limit=0', '/v1/live/trending?limit=0x10', '/v1/live/trending?limit=1e1', '/v1/live/trending?limit=%205', '/v1/live/trending?limit=5&limit=6', '/v1/live/kpis?as_of=yesterday', '/v1/live/kpis?as_of=-1', '/v1/live/kpis?as_of=-271821-04-20T00:00:00Z', '/v1/live/kpis?as_of=%2B275760-09-13T00:00:00Z', `/v1/users/${'x'.repeat(200)}/features`]) {
      const res = await request(app).get(url);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toMatch(/^invalid_/);
    }
    expect((await request(app).get('/v1/nope')).status).toBe(404);
  });

  it('answers a user id that is not valid %-encoding with 400, not a 500', async () => {
    const { app } = await setup();
    for (const id of ['%FF', '%ZZ', '%ED%A0%80']) {
      const res = await request(app).get(`/v1/users/${id}/features`);
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'bad_request', message: `Failed to decode param '${id}'` });
    }
  });

  it('exposes health, readiness, Prometheus metrics and an OpenAPI document', async () => {
    const { app, metrics } = await setup();
    metrics.eventsIn.inc({ stage: 'ingest' }, 3);
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    const m = await request(app).get('/metrics');
    expect(m.text).toContain('distributary_events_in_total{stage="ingest"} 3');
    expect(m.text).toMatch(/distributary_freshness_seconds\{store="duckdb"\} 59/);
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready', problems: [] });
    const doc = (await request(app).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/users/{id}/features', '/v1/live/kpis', '/v1/live/trending']));
    expect(doc.components.schemas.purchase_v1.properties.event_type.const).toBe('purchase');
  });

  it('answers 503 on readiness when the store is gone', async () => {
    const { app, store } = await setup();
    await store.close();
    expect((await request(app).get('/readyz')).status).toBe(503);
  });
});
