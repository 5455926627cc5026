import path from 'node:path';
import { createGenerator } from '../ingest/generator/generator';
import { loadConfig } from '../lib/config';
import { silentLogger } from '../lib/logger';
import { TOPICS } from '../stream/bus';
import { LocalLogBus } from '../stream/bus/local-log';
import { parseScanFrom } from '../stream/rules/scan-topic';
import { copyOfRules, editJson } from '../stream/rules/rules.fixture';
import { tempDir } from '../test/helpers/temp';
import { rulesTest } from './rules';

describe('distributary rules test', () => {
  it('replays the log through a candidate rule set and counts fate changes per rule, writing nothing', async () => {
    const dir = tempDir();
    const bus = new LocalLogBus({ dir, pollMs: 5, fsync: false });
    for (const name of Object.values(TOPICS)) await bus.ensureTopic({ name, partitions: 2 });
    const gen = createGenerator({ seed: 'rules-test', now: () => Date.now() - 1000, behaviour: { doubleQuantityShare: 0.5 } });
    const events = gen.batch(2000).map((e, i) => (i % 50 === 7 && e.event_type === 'product_view' ? { ...e, properties: { ...e.properties, price: -1 } } : e));
    await bus.produce(TOPICS.raw, [...events.map((e) => ({ key: e.session_id, value: JSON.stringify(e) })), { key: 'x', value: '{broken' }]);
    const negatives = events.filter((e) => e.event_type === 'product_view' && e.properties.price === -1).length;
    const bigCarts = events.filter((e) => e.event_type === 'add_to_cart' && e.properties.quantity >= 2).length;
    expect(negatives).toBeGreaterThan(0);
    expect(bigCarts).toBeGreaterThan(0);

    // The candidate: negative prices are no longer quarantined; carts of 2+ items are.
    const candidate = copyOfRules();
    editJson(path.join(candidate, 'values.json'), (j) => {
      j.rules = j.rules.filter((r: { id: string }) => r.id !== 'price_negative');
      j.rules.push({ id: 'big_cart', description: 'Two or more at once.', category: 'validity', types: ['add_to_cart'], when: { field: 'properties.quantity', op: 'gte', value: 2 }, action: { type: 'quarantine', reason: 'big_cart' }, score: 0 });
    });
    const config = loadConfig({ DISTRIBUTARY_DATA_DIR: dir, DISTRIBUTARY_LOG_LEVEL: 'silent' });
    const ends = await bus.endOffsets(TOPICS.raw);
    const r = await rulesTest(candidate, { from: 'earliest', samples: 2 }, { config, logger: silentLogger(), bus });

    expect(r.report).toMatchObject({ read: 2001, invalid: 1, changed: negatives + bigCarts });
    expect(r.report.changes).toEqual(expect.arrayContaining([
      { rule: 'price_negative', from: 'dlq:price_negative', to: 'stored', events: negatives, samples: expect.any(Array) },
      { rule: 'big_cart', from: 'stored', to: 'dlq:big_cart', events: bigCarts, samples: expect.any(Array) },
    ]));
    const sample = r.report.changes.find((c) => c.rule === 'big_cart')!.samples[0];
    expect(events.find((e) => e.event_id === sample.event_id)).toMatchObject({ event_type: 'add_to_cart', properties: { quantity: 2 } });
    expect(r.text).toMatch(/big_cart +stored → dlq:big_cart +\d+/);
    expect(r.report.hits.candidate.big_cart).toBe(bigCarts);
    // Nothing written: the DLQ stays empty and the log ends where it did.
    expect(await bus.endOffsets(TOPICS.dlq)).toEqual([0, 0]);
    expect(await bus.endOffsets(TOPICS.raw)).toEqual(ends);

    const later = await rulesTest(candidate, { from: 'latest' }, { config, logger: silentLogger(), bus });
    expect(later.report.read).toBe(0);
    await bus.close();
  });

  it('reads positions as offsets, durations ago or date-times', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseScanFrom('120', now)).toEqual({ offset: 120 });
    expect(parseScanFrom('earliest', now)).toEqual({ offset: 'earliest' });
    expect(parseScanFrom('90m', now)).toEqual({ timestamp: now - 90 * 60_000 });
    expect(parseScanFrom('2026-11-22T10:00:00Z', now)).toEqual({ timestamp: now - 86_400_000 });
    expect(() => parseScanFrom('yesterday', now)).toThrow(/not a position/);
  });
});
