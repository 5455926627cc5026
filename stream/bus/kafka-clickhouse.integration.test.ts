import { randomUUID } from 'node:crypto';
import { describeWithServices, kafkaBrokers } from '../../test/integration';
import type { LiveStore, Watermarks } from '../../warehouse/live-store';
import type { ClickHouseLiveStore, ClickHouseLiveStoreOptions } from '../../warehouse/live-store/clickhouse-live-store';
import { dropTestDatabases, openTestStore, testDatabaseName } from '../../warehouse/live-store/clickhouse-test-helpers';
import { liveEvent } from '../../warehouse/live-store/live-event.fixture';
import type { BatchHandler, BusConsumer } from '../bus';
import { KafkaBus } from './kafka';

/**
 * The Kafka consumer hands several partitions to one handler call (kafka/coalescer.ts); the
 * ClickHouse store writes such a call in one INSERT. Exactly once must hold when that combined
 * write fails after its insert, and when the group rebalances while it is in flight.
 */
describeWithServices(['kafka', 'clickhouse'], 'kafka → clickhouse with coalesced partitions', () => {
  const PARTITIONS = 4;
  const N = 400;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  let bus: KafkaBus;

  beforeEach(() => {
    bus = new KafkaBus({ brokers: kafkaBrokers(), topicConfig: { 'retention.ms': '-1' } });
  });
  afterEach(async () => {
    await bus.close();
  });
  afterAll(async () => {
    await dropTestDatabases();
  });

  /** What the realtime handler does with a batch, minus parsing: one store write, watermarks = next offsets. */
  const sink = (store: LiveStore, calls: number[][]): BatchHandler => async (b) => {
    calls.push([...new Set(b.messages.map((m) => m.partition))]);
    const next: Watermarks = {};
    for (const m of b.messages) next[m.partition] = Math.max(next[m.partition] ?? 0, m.offset + 1);
    const rows = b.messages.map((m) => liveEvent({ event_id: `${m.partition}:${m.offset}`, bus_partition: m.partition, bus_offset: m.offset }));
    await store.write(b.messages[0].topic, rows, next);
  };

  async function produced(): Promise<string> {
    const topic = name('kch');
    await bus.ensureTopic({ name: topic, partitions: PARTITIONS });
    await bus.produce(topic, Array.from({ length: N }, (_, i) => ({ key: `user-${i % 40}`, value: String(i) })));
    return topic;
  }

  async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  const stored = async (store: ClickHouseLiveStore) => {
    const [r] = await store.query<{ n: string; offsets: string }>('SELECT count() AS n, uniqExact(bus_partition, bus_offset) AS offsets FROM events');
    return { n: Number(r.n), offsets: Number(r.offsets) };
  };

  const open = (database: string, afterInsert?: ClickHouseLiveStoreOptions['afterInsert']) => openTestStore({ database, afterInsert });

  it('a combined write killed after its insert is redelivered and stored once', async () => {
    const topic = await produced();
    let crashed = false;
    const store = await open(testDatabaseName(), (_, rows) => {
      if (!crashed && new Set(rows.map((r) => r.bus_partition)).size > 1) {
        crashed = true;
        throw new Error('killed after the insert, before the watermark and the commit');
      }
    });
    const calls: number[][] = [];
    const consumer = bus.consumer({ group: name('g'), topic, maxBatchSize: 1000 });
    const run = consumer.run(sink(store, calls), () => undefined);
    try {
      await until(async () => crashed && (await consumer.lag()) === 0, 30_000);
      expect(calls[0].length).toBeGreaterThan(1);
      expect(await stored(store)).toEqual({ n: N, offsets: N });
    } finally {
      await consumer.stop();
      await run;
      await store.close();
    }
  });

  it('a member joining while a combined write is in flight: every offset stored once', async () => {
    const topic = await produced();
    const group = name('g');
    const database = testDatabaseName();
    let inFlight!: () => void;
    const writing = new Promise<void>((r) => (inFlight = r));
    let slow = true;
    // Member A's first write lands, then stalls before its watermark and commit while B joins.
    const storeA = await open(database, async () => {
      if (!slow) return;
      slow = false;
      inFlight();
      await sleep(2500);
    });
    const storeB = await open(database);
    const consumers: BusConsumer[] = [];
    const runs: Promise<void>[] = [];
    try {
      // Chunks of ~100 per partition, two to a call: A is still reading when B joins.
      for (const [store, wait] of [[storeA, undefined], [storeB, writing]] as const) {
        await wait;
        const c = bus.consumer({ group, topic, maxBatchSize: 200 });
        consumers.push(c);
        runs.push(c.run(sink(store, []), () => undefined));
      }
      await until(async () => (await stored(storeB)).offsets >= N && (await consumers[0].lag()) === 0, 40_000);
      await sleep(500); // a duplicate would show up now
      expect(await stored(storeB)).toEqual({ n: N, offsets: N });
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
      await Promise.all(runs);
      await storeA.close();
      await storeB.close();
    }
  });
});
