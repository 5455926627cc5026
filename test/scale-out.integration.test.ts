import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createGenerator } from '../ingest/generator/generator';
import { topicNames } from '../stream/bus';
import { KafkaBus } from '../stream/bus/kafka';
import { dropTestDatabases, openTestStore, testDatabaseName } from '../warehouse/live-store/clickhouse-test-helpers';
import { describeWithServices, clickhouseUrl, kafkaBrokers } from './integration';

/**
 * Scale-out on one machine: three `distributary stream realtime` processes in one consumer
 * group over 12 Kafka partitions, writing to ClickHouse. One is killed with SIGKILL mid-run;
 * the other two take over its partitions; every event_id is stored exactly once.
 */
describeWithServices(['kafka', 'clickhouse'], 'scale-out: three realtime workers, one killed', () => {
  const prefix = `scale-${randomUUID().slice(0, 8)}-`;
  const database = testDatabaseName();
  const topics = topicNames(prefix);
  let bus: KafkaBus;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    bus = new KafkaBus({ brokers: kafkaBrokers(), topicConfig: { 'retention.ms': '-1' } });
    for (const name of Object.values(topics)) await bus.ensureTopic({ name, partitions: 12 });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await bus.close();
    await dropTestDatabases();
  });

  const spawnWorker = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../cli/main.ts'), 'stream', 'realtime'], {
      env: {
        ...process.env, DISTRIBUTARY_BUS: 'kafka', DISTRIBUTARY_LIVE_STORE: 'clickhouse', DISTRIBUTARY_TOPIC_PREFIX: prefix,
        CLICKHOUSE_DATABASE: database, CLICKHOUSE_URL: clickhouseUrl(), KAFKA_BROKERS: kafkaBrokers().join(','), DISTRIBUTARY_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    workers.push(child);
    return child;
  };

  it('takes over the killed worker’s partitions and stores every event exactly once', async () => {
    const store = await openTestStore({ database });
    const gen = createGenerator({ seed: 99 });
    const send = async (n: number) => {
      const events = gen.batch(n);
      // Client retries: a tenth of the events are sent twice (same event_id, later offset).
      const resent = events.filter((_, i) => i % 10 === 0);
      const all = [...events, ...resent];
      for (let i = 0; i < all.length; i += 1000) {
        await bus.produce(topics.raw, all.slice(i, i + 1000).map((e) => ({ key: e.user_id ?? e.anonymous_id!, value: JSON.stringify(e) })));
      }
      return events.map((e) => e.event_id);
    };
    const count = async () => Number((await store.query<{ n: string }>('SELECT count() AS n FROM events'))[0].n);

    const ids = new Set(await send(20_000));
    const [a, b, c] = [spawnWorker(), spawnWorker(), spawnWorker()];
    const deadline = Date.now() + 120_000;
    while ((await count()) < 5_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    c.kill('SIGKILL');
    for (const id of await send(20_000)) ids.add(id);

    let stored = 0;
    while (Date.now() < deadline) {
      stored = await count();
      if (stored >= ids.size) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 3000)); // anything late would show up now
    const [totals] = await store.query<{ n: string; ids: string }>('SELECT count() AS n, uniqExact(event_id) AS ids FROM events');
    expect({ rows: Number(totals.n), distinct: Number(totals.ids) }).toEqual({ rows: ids.size, distinct: ids.size });
    const kpis = await store.kpis(7 * 86_400_000, Date.now() + 60_000);
    expect(kpis.totals.events).toBe(ids.size);
    const partitions = await store.query<{ p: number }>('SELECT DISTINCT bus_partition AS p FROM events ORDER BY p');
    expect(partitions).toHaveLength(12);
    expect([a.exitCode, b.exitCode]).toEqual([null, null]); // the survivors are still running
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    await store.close();
  }, 180_000);
});
