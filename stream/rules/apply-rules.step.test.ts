import { randomUUID } from 'node:crypto';
import type { StorefrontEvent } from '../../contract/events';
import { dlq, ok } from '../step-result';
import { createApplyRulesStep } from './apply-rules.step';
import { compileRuleSet, type CompiledRuleSet } from './compile-ruleset';
import { RuleFile, RuleSetFile } from './rule-file';

const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const event = (props: Record<string, unknown> = {}): StorefrontEvent => ({
  event_id: randomUUID(), event_type: 'add_to_cart', schema_version: 1, occurred_at: new Date(NOW - 1000).toISOString(),
  user_id: 'u1', session_id: 's1', properties: { product_id: 'p1', price: 5, currency: 'usd', quantity: 1, ...props },
} as StorefrontEvent);

function ruleSet(rules: unknown[]): CompiledRuleSet {
  return compileRuleSet({
    manifest: RuleSetFile.parse({ version: 't1', files: ['r.json'] }),
    files: [{ name: 'r.json', rules: RuleFile.parse({ rules }).rules }],
    lists: new Map(),
    digest: 'x',
  });
}
const rule = (id: string, when: unknown, action: unknown, extra: object = {}) => ({ id, description: `${id} hit`, category: 'validity', when, action, ...extra });

describe('apply-rules step', () => {
  const set = ruleSet([
    rule('upper_currency', { field: 'properties.currency', op: 'exists' }, { type: 'normalise', field: 'properties.currency', to: 'upper' }),
    rule('cheap', { field: 'properties.price', op: 'lt', value: 10 }, { type: 'tag' }, { score: 0.8 }),
    rule('tiny', { field: 'properties.price', op: 'lt', value: 1 }, { type: 'tag' }, { score: 0.5, confidence: 0.5 }),
    rule('free', { field: 'properties.price', op: 'eq', value: 0 }, { type: 'tag' }, { score: 0.2 }),
    rule('negative', { field: 'properties.price', op: 'lt', value: 0 }, { type: 'quarantine', reason: 'price_negative' }, { score: 0 }),
    rule('bot_brand', { field: 'properties.brand', op: 'eq', value: 'bot' }, { type: 'drop_as_bot' }),
  ]);
  const step = createApplyRulesStep({ rules: () => set, threshold: 0.5 });

  it('fixes, scores and versions an event without touching the input', () => {
    const input = event();
    const before = structuredClone(input);
    expect(step(input, NOW)).toEqual(ok({
      event: { ...input, properties: { ...input.properties, currency: 'USD' } },
      quality: { score: 0.8, rulesHit: ['upper_currency', 'cheap'], rulesVersion: expect.stringMatching(/^t1\+/) },
    }));
    expect(input).toEqual(before);
    const clean = event({ currency: 'EUR', price: 20 });
    const r = step(clean, NOW);
    expect(r.kind === 'ok' && r.value.event).toBe(clean); // nothing to fix: no copy
  });

  it('multiplies the factors of all hits: 1 − confidence × (1 − score)', () => {
    const r = step(event({ price: 0.5 }), NOW);
    expect(r.kind === 'ok' && r.value.quality).toMatchObject({ score: 0.6, rulesHit: ['upper_currency', 'cheap', 'tiny'] });
  });

  it('quarantines below the threshold, blaming the costliest rule', () => {
    expect(step(event({ price: 0 }), NOW)).toEqual(dlq('low_quality', ['quality 0.12 is below the threshold 0.5 (rules hit: upper_currency, cheap, tiny, free)'], 'free'));
  });

  it('stops at the first quarantine or bot verdict with its own reason', () => {
    expect(step(event({ price: -1 }), NOW)).toEqual(dlq('price_negative', ['negative hit'], 'negative'));
    expect(step(event({ price: 50, brand: 'bot' }), NOW)).toEqual(dlq('bot', ['bot_brand hit'], 'bot_brand'));
  });

  it('turns a failing rule into a DLQ verdict instead of an exception that would block the partition', () => {
    const broken: CompiledRuleSet = { ...set, forType: () => [{ ...set.rules[0], when: () => { throw new Error('boom'); } }] };
    expect(createApplyRulesStep({ rules: () => broken, threshold: 0.5 })(event(), NOW)).toEqual(dlq('rule_error', ['boom'], null));
  });

  it('reads the rule set in force for every event, so a reload takes effect at once', () => {
    let current = set;
    const swapping = createApplyRulesStep({ rules: () => current, threshold: 0.5 });
    expect(swapping(event({ price: 0.5 }), NOW).kind).toBe('ok');
    current = ruleSet([rule('strict', { field: 'properties.price', op: 'lt', value: 1 }, { type: 'quarantine', reason: 'too_cheap' })]);
    expect(swapping(event({ price: 0.5 }), NOW)).toEqual(dlq('too_cheap', ['strict hit'], 'strict'));
  });
});
