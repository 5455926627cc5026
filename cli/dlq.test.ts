import path from 'node:path';
import request from 'supertest';
import { createEventValidator } from '../contract/validate';
import { createIngestApp } from '../ingest/app';
import type { SendResult } from '../ingest/client';
import { createGenerator } from '../ingest/generator/generator';
import { loadConfig } from '../lib/config';
import { silentLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { TOPICS, type BatchHandler } from '../stream/bus';
import { LocalLogBus } from '../stream/bus/local-log';
import { createRealtimeHandler } from '../stream/realtime.consumer';
import { createApplyRulesStep } from '../stream/rules/apply-rules.step';
import { loadRuleSet } from '../stream/rules/load-ruleset';
import { copyOfRules, editJson } from '../stream/rules/rules.fixture';
import { SeenIds } from '../stream/steps/seen-ids';
import { tempDir } from '../test/helpers/temp';
import { DuckDbLiveStore } from '../warehouse/live-store/duckdb-live-store';
import { replayDlq } from './dlq';

const KEY = 'dlq-replay-write-key-0123456789';

describe('distributary dlq replay', () => {
  it('re-sends what the fixed rules accept through ingest, once, however often it runs', async () => {
    const dir = tempDir();
    const bus = new LocalLogBus({ dir, pollMs: 5, fsync: false });
    for (const name of Object.values(TOPICS)) await bus.ensureTopic({ name, partitions: 2 });
    const store = await DuckDbLiveStore.open(':memory:');
    await store.migrate();
    const app = createIngestApp({ bus, validator: createEventValidator(), writeKeys: [KEY], metrics: createMetrics(), logger: silentLogger() });
    const send = async (events: unknown[]) => (await request(app).post('/v1/events').set('Authorization', `Bearer ${KEY}`).send(events)).body as SendResult;
    const seen = new SeenIds(3_600_000);
    const drain = async (handler: BatchHandler) => {
      const consumer = bus.consumer({ group: 'realtime', topic: TOPICS.raw, maxBatchSize: 100 });
      const run = consumer.run(handler, (err) => { throw err; });
      for (let i = 0; i < 500 && (await consumer.lag()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      await consumer.stop();
      await run;
    };
    const realtime = (clean?: ReturnType<typeof createApplyRulesStep>) => createRealtimeHandler({ bus, store, validator: createEventValidator(), seen, metrics: createMetrics(), logger: silentLogger(), clean });

    // A too-strict rule set quarantines every cart of two or more items.
    const strict = copyOfRules();
    editJson(path.join(strict, 'values.json'), (j) => j.rules.push({ id: 'big_cart', description: 'Two or more at once.', category: 'validity', types: ['add_to_cart'], when: { field: 'properties.quantity', op: 'gte', value: 2 }, action: { type: 'quarantine', reason: 'big_cart' }, score: 0 }));
    const strictSet = loadRuleSet(strict);
    const events = createGenerator({ seed: 'dlq', now: () => Date.now() - 1000, behaviour: { doubleQuantityShare: 0.5 } }).batch(1500);
    const bigCarts = events.filter((e) => e.event_type === 'add_to_cart' && e.properties.quantity >= 2).map((e) => e.event_id);
    expect(bigCarts.length).toBeGreaterThan(0);
    expect((await send(events.slice(0, 1000))).accepted + (await send([...events.slice(1000), { event_type: 'bogus' }])).accepted).toBe(1500);
    await drain(realtime(createApplyRulesStep({ rules: () => strictSet, threshold: 0.5 })));
    expect((await store.freshness()).events).toBe(1500 - bigCarts.length);

    // The fix: the rules in force (DISTRIBUTARY_RULES_DIR) no longer have big_cart. Replay twice.
    const config = loadConfig({ DISTRIBUTARY_DATA_DIR: dir, DISTRIBUTARY_LOG_LEVEL: 'silent' });
    const first = await replayDlq({ since: '1h', batchSize: 100 }, { config, logger: silentLogger(), send, bus });
    expect(first).toEqual({ read: bigCarts.length + 1, skipped: 0, unreadable: 0, still_rejected: { unknown_event_type: 1 }, repeated: 0, resent: bigCarts.length, accepted: bigCarts.length, rejected_by_ingest: 0 });
    await drain(realtime());
    const again = await replayDlq({ since: 'earliest', batchSize: 100, reason: 'big_cart' }, { config, logger: silentLogger(), send, bus });
    expect(again).toMatchObject({ read: bigCarts.length + 1, skipped: 1, resent: bigCarts.length });
    await drain(realtime());

    const ids = await store.recentEventIds(0);
    expect(ids).toHaveLength(1500);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.event_id)));
    expect(await replayDlq({ since: '1h', batchSize: 100, dryRun: true }, { config, logger: silentLogger(), send: () => Promise.reject(new Error('dry run sends nothing')), bus })).toMatchObject({ resent: bigCarts.length, accepted: 0 });
    await store.close();
    await bus.close();
  });
});
