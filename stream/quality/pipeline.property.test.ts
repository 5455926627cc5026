import fc from 'fast-check';
import request from 'supertest';
import { createEventValidator } from '../../contract/validate';
import { createGenerator } from '../../ingest/generator/generator';
import { createIngestApp } from '../../ingest/app';
import { silentLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { readTopic } from '../../test/helpers/read-topic';
import { tempDir } from '../../test/helpers/temp';
import { DuckDbLiveStore } from '../../warehouse/live-store/duckdb-live-store';
import { TOPICS, type BusConsumer } from '../bus';
import { LocalLogBus } from '../bus/local-log';
import { createRealtimeHandler } from '../realtime.consumer';
import { SeenIds } from '../steps/seen-ids';

/**
 * Random and hostile payloads through the real ingest endpoint and the real-time path (local
 * log, DuckDB, the shipped rules). Whatever comes in, no worker call throws, the partition
 * drains, and every input ends in exactly one place: rejected in the HTTP answer, the live
 * store, or the DLQ (a resent event_id counts as the stored event it repeats).
 */
const KEY = 'property-write-key-0123456789';
let seq = 0;
const gen = createGenerator({ seed: 'property', now: () => Date.now() - 1000 });
const uuid = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

const SQL = ["'; DROP TABLE events; --", '1 OR 1=1', 'Robert"); DELETE FROM dlq;--', '\\x00\\u0000'];
const hostileValue = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ maxLength: 3000 }),
  fc.constantFrom(...SQL, '\ud800', '\udfff\ud800', 'null', '', ' ', 'USD', 'xyz', '__proto__'),
  fc.double(), // NaN and ±Infinity become null in JSON
  fc.integer({ min: 1, max: 400 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as unknown),
);
const FIELDS = ['event_id', 'event_type', 'schema_version', 'occurred_at', 'user_id', 'anonymous_id', 'session_id', 'context', 'properties', 'properties.price', 'properties.quantity', 'properties.currency', 'properties.product_id', 'properties.order_id', 'properties.items', 'context.user_agent', 'context.ip', 'context.page_url', '__proto__', 'constructor'];

/** What the value becomes on the wire (NaN → null …), as a fresh copy: edits must not alias each other. */
const wire = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** A generated event with some fields replaced by hostile values, or a hostile value instead of an event. */
const input = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fc.constantFrom(...FIELDS), hostileValue), { maxLength: 3 }).map((edits) => {
    const e = JSON.parse(JSON.stringify({ ...gen.next(), event_id: uuid() })) as Record<string, Record<string, unknown>>;
    for (const [path, shared] of edits) {
      const value = wire(shared);
      const [a, b] = path.split('.');
      if (b === undefined) Object.defineProperty(e, a, { value, enumerable: true, writable: true, configurable: true });
      else if (typeof e[a] === 'object' && e[a] !== null) Object.defineProperty(e[a], b, { value, enumerable: true, writable: true, configurable: true });
    }
    return e as unknown;
  }) },
  { weight: 1, arbitrary: hostileValue },
);
const body = fc.oneof(
  { weight: 6, arbitrary: fc.array(input, { minLength: 1, maxLength: 12 }).map((events) => ({ events, raw: Buffer.from(JSON.stringify(events)) })) },
  { weight: 1, arbitrary: fc.constantFrom('{"price": NaN}', '[{"a":1},', '', '[]', '{"batch": []}').map((text) => ({ events: [] as unknown[], raw: Buffer.from(text) })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ events: [] as unknown[], raw: Buffer.concat([Buffer.from('["'), Buffer.from(bytes), Buffer.from([0xff, 0xfe]), Buffer.from('"]')]) })) },
);

describe('ingest and the real-time path under random and hostile payloads', () => {
  let bus: LocalLogBus;
  let store: DuckDbLiveStore;
  let consumer: BusConsumer;
  let running: Promise<void>;
  const handlerErrors: unknown[] = [];

  beforeAll(async () => {
    bus = new LocalLogBus({ dir: tempDir(), pollMs: 5, fsync: false });
    for (const name of Object.values(TOPICS)) await bus.ensureTopic({ name, partitions: 2 });
    store = await DuckDbLiveStore.open(':memory:');
    await store.migrate();
    const handler = createRealtimeHandler({ bus, store, validator: createEventValidator(), seen: new SeenIds(3_600_000), metrics: createMetrics(), logger: silentLogger() });
    consumer = bus.consumer({ group: 'realtime', topic: TOPICS.raw, maxBatchSize: 50 });
    running = consumer.run(handler, (err) => handlerErrors.push(err));
  });
  afterAll(async () => {
    await consumer.stop();
    await running;
    await store.close();
    await bus.close();
  });

  it('ends every input in exactly one place and never blocks a partition', async () => {
    const app = createIngestApp({ bus, validator: createEventValidator(), writeKeys: [KEY], metrics: createMetrics(), logger: silentLogger() });
    await fc.assert(fc.asyncProperty(body, async ({ events, raw }) => {
      const res = await request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/octet-stream').send(raw); // octet-stream: superagent would re-encode a Buffer sent as JSON
      if (res.status !== 202) {
        expect([400, 413]).toContain(res.status); // the whole request is answered as rejected
        return;
      }
      const answer = res.body as { accepted: number; rejected: { index: number }[] };
      const rejected = new Set(answer.rejected.map((r) => r.index));
      expect(rejected.size + answer.accepted).toBe(events.length);
      const acceptedIds = events.filter((_, i) => !rejected.has(i)).map((e) => (e as { event_id: string }).event_id);

      for (let i = 0; i < 300 && (await consumer.lag()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(handlerErrors.map((e) => `${String(e)} ${String((e as Error).cause)}`)).toEqual([]);
      expect(await consumer.lag()).toBe(0);
      const stored = new Set(await store.recentEventIds(0));
      const dlq = (await readTopic(bus, TOPICS.dlq)).map((m) => JSON.parse(m.value.toString()) as { stage: string; event_id: string | null });
      const dlqd = new Set(dlq.filter((d) => d.stage === 'realtime').map((d) => d.event_id));
      for (const id of acceptedIds) expect([id, stored.has(id) !== dlqd.has(id)]).toEqual([id, true]);
    }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) });
  });
});
