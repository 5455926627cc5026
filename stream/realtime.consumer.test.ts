import { randomUUID } from 'node:crypto';
import { createEventValidator } from '../contract/validate';
import { silentLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { readTopic } from '../test/helpers/read-topic';
import { tempDir } from '../test/helpers/temp';
import { DuckDbLiveStore } from '../warehouse/live-store/duckdb-live-store';
import { TOPICS, type BatchHandler } from './bus';
import { LocalLogBus } from './bus/local-log';
import { createRealtimeHandler } from './realtime.consumer';
import { SeenIds } from './steps/seen-ids';

const now = Date.now();
const ev = (over: Record<string, unknown> = {}) => ({
  event_id: randomUUID(), event_type: 'add_to_cart', schema_version: 1, occurred_at: new Date(now - 1000).toISOString(),
  user_id: 'u1', session_id: 's1', properties: { product_id: 'p1', price: 5, currency: 'usd', quantity: 2, category: ' Shoes ' }, ...over,
});

async function setup() {
  const bus = new LocalLogBus({ dir: tempDir(), pollMs: 10 });
  for (const name of Object.values(TOPICS)) await bus.ensureTopic({ name, partitions: 2 });
  const store = await DuckDbLiveStore.open(':memory:');
  await store.migrate();
  const seen = new SeenIds(3_600_000);
  const handler = createRealtimeHandler({ bus, store, validator: createEventValidator(), seen, metrics: createMetrics(), logger: silentLogger() });
  return { bus, store, seen, handler };
}

async function drain(bus: LocalLogBus, handler: BatchHandler, group = 'realtime') {
  const consumer = bus.consumer({ group, topic: TOPICS.raw, fromBeginning: true, maxBatchSize: 7 });
  const run = consumer.run(handler, () => undefined);
  for (let i = 0; i < 500 && (await consumer.lag()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  await run;
}

describe('real-time path', () => {
  it('stores valid events once, cleans them, and sends every bad one to the DLQ with its reason', async () => {
    const { bus, store, handler } = await setup();
    const good = Array.from({ length: 20 }, (_, i) => ev({ user_id: `u${i % 3}` }));
    const dup = { ...good[3] }; // a client retry: same event_id, later offset
    await bus.produce(TOPICS.raw, [...good, dup].map((e) => ({ key: String(e.user_id), value: JSON.stringify(e) })));
    await bus.produce(TOPICS.raw, [{ key: 'x', value: '{not json' }, { key: 'x', value: JSON.stringify({ event_type: 'nope' }) }, { key: 'x', value: Buffer.from([0xff, 0xfe]) }]);
    await drain(bus, handler);
    const k = await store.kpis(3_600_000, Date.now());
    expect(k.totals.events).toBe(20);
    expect(k.totals.carts).toBe(20);
    const f = await store.userFeatures('u0', Date.now());
    expect(f.cart).toEqual([{ product_id: 'p1', quantity: 14, price: 5 }]);
    const dlq = (await readTopic(bus, TOPICS.dlq)).map((m) => JSON.parse(m.value.toString()) as { reason: string; payload: string });
    expect(dlq.map((d) => d.reason).sort()).toEqual(['json_invalid', 'json_invalid', 'unknown_event_type']);
    expect(dlq.map((d) => d.payload)).toContain('{not json');
  });

  it('treats an event_id in another case or with urn:uuid: as the same event, within a batch and across batches', async () => {
    const { bus, store, handler } = await setup();
    const first = ev({ event_type: 'product_view', properties: { product_id: 'p9' } });
    const id = String(first.event_id);
    await bus.produce(TOPICS.raw, [first, { ...first, event_id: id.toUpperCase() }].map((e) => ({ key: 'u1', value: JSON.stringify(e) })));
    await drain(bus, handler);
    await bus.produce(TOPICS.raw, [{ ...first, event_id: `urn:uuid:${id}` }, { ...first, event_id: `URN:UUID:${id.toUpperCase()}` }].map((e) => ({ key: 'u1', value: JSON.stringify(e) })));
    await drain(bus, handler);
    expect((await store.freshness()).events).toBe(1);
  });

  it('does not double-count a batch redelivered after a crash between store write and commit', async () => {
    const { bus, store, handler } = await setup();
    const events = Array.from({ length: 30 }, (_, i) => ev({ user_id: `u${i % 4}`, event_type: 'product_view', properties: { product_id: `p${i}` } }));
    await bus.produce(TOPICS.raw, events.map((e) => ({ key: String(e.user_id), value: JSON.stringify(e) })));
    let crashes = 0;
    const crashing: BatchHandler = async (batch) => {
      await handler(batch);
      if (crashes++ < 3) throw new Error('killed after the store write, before the commit');
    };
    await drain(bus, crashing);
    expect((await store.freshness()).events).toBe(30);

    // A restarted worker: empty memory, seeded from the store, re-reading from offset 0.
    const restartedSeen = new SeenIds(3_600_000);
    restartedSeen.add(await store.recentEventIds(0), Date.now());
    const restarted = createRealtimeHandler({ bus, store, validator: createEventValidator(), seen: restartedSeen, metrics: createMetrics(), logger: silentLogger() });
    await bus.resetOffsets('realtime', TOPICS.raw, { offset: 'earliest' });
    await drain(bus, restarted);
    expect((await store.freshness()).events).toBe(30);
    expect((await store.kpis(3_600_000, Date.now())).totals.by_type.product_view).toBe(30);
  });
});
