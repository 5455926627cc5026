import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startAll } from '../cli/start';
import { listLakeFiles } from '../stream/lake/lake-files';
import { loadConfig } from '../lib/config';
import { silentLogger } from '../lib/logger';
import { tempDir } from './helpers/temp';
import { REES46_SAMPLE_PATH, datasetAvailable } from '../ingest/replay/replay-common';
import { replayFile } from '../cli/replay';

const config = (dir: string) =>
  loadConfig({
    DISTRIBUTARY_DATA_DIR: dir,
    DISTRIBUTARY_INGEST_PORT: '0',
    DISTRIBUTARY_API_PORT: '0',
    DISTRIBUTARY_GENERATOR_RATE: '0',
    DISTRIBUTARY_LAKE_ROLL_SECONDS: '1',
    DISTRIBUTARY_BATCH_CRON: '* * * * * *',
    DISTRIBUTARY_LOG_LEVEL: 'silent',
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('distributary start (embedded, end to end)', () => {
  it('takes events over HTTP into live features, the Parquet lake and the datamart; restarts without loss', async () => {
    const dir = tempDir();
    const app = await startAll(config(dir), silentLogger(), { print: () => undefined });
    const now = Date.now();
    const events = [
      { event_type: 'product_view', properties: { product_id: 'sku-1', category: 'shoes', price: 50, currency: 'EUR' } },
      { event_type: 'add_to_cart', properties: { product_id: 'sku-1', price: 50, currency: 'EUR', quantity: 1 } },
      { event_type: 'search', properties: { query: 'red shoes' } },
    ].map((e, i) => ({ ...e, event_id: randomUUID(), schema_version: 1, occurred_at: new Date(now - 1000 + i).toISOString(), user_id: 'alice', session_id: 'sess-a' }));
    const res = await fetch(`${app.ingestUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${app.key}`, 'content-type': 'application/json' }, body: JSON.stringify([...events, { event_type: 'bogus' }]) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 3, rejected: [{ index: 3 }] });

    const features = await until('features', async () => {
      const f = (await (await fetch(`${app.apiUrl}/v1/users/alice/features`)).json()) as { cart: unknown[]; counts: { '15m': { events: number } } };
      return f.counts['15m'].events === 3 ? f : undefined;
    });
    expect(features.cart).toEqual([{ product_id: 'sku-1', quantity: 1, price: 50 }]);
    const dlq = await until('dlq row', async () => {
      const d = (await (await fetch(`${app.apiUrl}/v1/dlq`)).json()) as { entries: { reason: string }[] };
      return d.entries.length ? d.entries : undefined;
    });
    expect(dlq[0].reason).toBe('unknown_event_type');
    await until('lake files', async () => (listLakeFiles(path.join(dir, 'lake')).length > 0 ? true : undefined));
    await app.runLoad();
    const [facts] = await app.mart.db.all<{ n: bigint }>('SELECT count(*) AS n FROM fct_events');
    expect(Number(facts.n)).toBe(3);
    const metrics = await (await fetch(`${app.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/distributary_events_out_total\{stage="realtime",outcome="stored"\} 3/);
    // Ingest runs on its own thread; its counters are merged into the API's /metrics, once.
    expect(metrics).toMatch(/distributary_events_out_total\{stage="ingest",outcome="accepted"\} 3/);
    expect(metrics).toMatch(/distributary_dlq_total\{stage="ingest",reason="unknown_event_type"\} 1/);
    expect(metrics.match(/^# TYPE distributary_process_process_cpu_seconds_total /gm)).toHaveLength(1);
    await app.stop();

    // Restart on the same data dir: nothing is counted twice, the same events are still there.
    const again = await startAll(config(dir), silentLogger(), { print: () => undefined });
    await new Promise((r) => setTimeout(r, 500));
    const f2 = (await (await fetch(`${again.apiUrl}/v1/users/alice/features`)).json()) as { counts: { '15m': { events: number } } };
    expect(f2.counts['15m'].events).toBe(3);
    expect(fs.readFileSync(path.join(dir, 'write-key'), 'utf8').trim()).toBe(again.key);
    await again.stop();
  });

  it('replays the REES46 sample through the real path: every row becomes an event in the live store', async () => {
    if (!datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' })) return;
    const dir = tempDir();
    const app = await startAll(config(dir), silentLogger(), { print: () => undefined });
    const totals = await replayFile(REES46_SAMPLE_PATH, { url: app.ingestUrl, key: app.key, shift: 'now-end', batchSize: 1000 }, silentLogger());
    expect(totals).toMatchObject({ read: 17_433, unreadable: 0, rejected: 0 });
    await until('all replayed rows stored', async () => ((await app.store.freshness()).events === 17_433 ? true : undefined), 60_000);
    const k = await app.store.kpis(24 * 3_600_000, Date.now() + 1000);
    expect(k.totals.by_type).toMatchObject({ product_view: 17_054, add_to_cart: 165, purchase: 214 });
    expect(k.totals.active_users).toBe(4_504);
    await app.stop();
  });
});
