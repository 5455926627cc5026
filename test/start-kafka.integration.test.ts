import { randomUUID } from 'node:crypto';
import { startAll } from '../cli/start';
import { loadConfig } from '../lib/config';
import { silentLogger } from '../lib/logger';
import { dropTestDatabases, testDatabaseName } from '../warehouse/live-store/clickhouse-test-helpers';
import { tempDir } from './helpers/temp';
import { clickhouseUrl, describeWithServices, kafkaBrokers } from './integration';

/**
 * `distributary start` on the real servers: the ingest thread has its own Kafka producer (it
 * does not lend the owner's bus as on the local log), the stream workers consume from Kafka
 * and write to ClickHouse, and the API answers from ClickHouse.
 */
describeWithServices(['kafka', 'clickhouse'], 'distributary start on Kafka and ClickHouse', () => {
  afterAll(() => dropTestDatabases());

  it('takes events over HTTP through Kafka into ClickHouse features, with the ingest thread’s metrics on /metrics', async () => {
    const config = loadConfig({
      DISTRIBUTARY_DATA_DIR: tempDir(), DISTRIBUTARY_INGEST_PORT: '0', DISTRIBUTARY_API_PORT: '0', DISTRIBUTARY_GENERATOR_RATE: '0',
      DISTRIBUTARY_LOG_LEVEL: 'silent', DISTRIBUTARY_BUS: 'kafka', DISTRIBUTARY_LIVE_STORE: 'clickhouse',
      DISTRIBUTARY_TOPIC_PREFIX: `start-${randomUUID().slice(0, 8)}-`, CLICKHOUSE_DATABASE: testDatabaseName(),
      KAFKA_BROKERS: kafkaBrokers().join(','), CLICKHOUSE_URL: clickhouseUrl(),
    });
    const app = await startAll(config, silentLogger(), { print: () => undefined });
    try {
      const user = `u-${randomUUID()}`;
      const now = Date.now();
      const events = [
        { event_type: 'product_view', properties: { product_id: 'sku-9', category: 'bags', price: 80, currency: 'EUR' } },
        { event_type: 'add_to_cart', properties: { product_id: 'sku-9', price: 80, currency: 'EUR', quantity: 2 } },
      ].map((e, i) => ({ ...e, event_id: randomUUID(), schema_version: 1, occurred_at: new Date(now - 1000 + i).toISOString(), user_id: user, session_id: `s-${user}` }));
      const res = await fetch(`${app.ingestUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json' }, body: JSON.stringify([...events, { event_type: 'bogus' }]) });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: 2, rejected: [{ index: 2 }] });

      const deadline = Date.now() + 30_000;
      let features: { cart: unknown[]; counts: { '15m': { events: number } } } | undefined;
      while (Date.now() < deadline) {
        const f = (await (await fetch(`${app.apiUrl}/v1/users/${user}/features`)).json()) as typeof features;
        if (f?.counts['15m'].events === 2) {
          features = f;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(features?.cart).toEqual([{ product_id: 'sku-9', quantity: 2, price: 80 }]);
      // The realtime counter moves just after the write that made the features visible.
      let metrics = '';
      while (Date.now() < deadline && !/distributary_events_out_total\{stage="realtime",outcome="stored"\} 2/.test(metrics)) {
        metrics = await (await fetch(`${app.apiUrl}/metrics`)).text();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(metrics).toMatch(/distributary_events_out_total\{stage="realtime",outcome="stored"\} 2/);
      expect(metrics).toMatch(/distributary_events_out_total\{stage="ingest",outcome="accepted"\} 2/);
    } finally {
      await app.stop();
    }
  }, 90_000);
});
