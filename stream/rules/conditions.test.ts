import { compileCondition, type CompileEnv } from './conditions';
import type { Facts } from './facts';
import { Condition, type ConditionDef } from './rule-file';

const env: CompileEnv = { params: { limit: 10 }, lists: new Map([['codes', ['USD', 'EUR']], ['agents', ['bot', 'crawl.er', 'a|b']]]) };
const facts: Facts = { receivedAt: 10_000, occurredAt: 4_000, session: { events: 12, ratePerMin: 40, intervals: 11, meanIntervalMs: 1500, intervalCv: 0.05 } };
const check = (def: ConditionDef, root: Record<string, unknown>) => compileCondition(Condition.parse(def), env)(root, facts);
const ev = { event_type: 'add_to_cart', user_id: 'u1', properties: { price: 5, currency: 'usd', category: '  ', items: [{ price: 3, quantity: 2 }, { price: -1, quantity: 1 }] }, context: { user_agent: 'Mozilla/5.0 (compatible; CRAWL.ER/1)' } };

describe('conditions', () => {
  it.each<[ConditionDef, boolean]>([
    [{ field: 'properties.price', op: 'lt', value: 10 }, true],
    [{ field: 'properties.price', op: 'gte', value: { param: 'limit' } }, false],
    [{ field: 'properties.missing', op: 'lt', value: 10 }, false],
    [{ field: 'properties.currency', op: 'eq', value: 'usd' }, true],
    [{ field: 'properties.currency', op: 'ne', value: 'usd' }, false],
    [{ field: 'properties.nothing', op: 'ne', value: 'usd' }, false],
    [{ field: 'properties.currency', op: 'in', value: ['usd', 'eur'] }, true],
    [{ field: 'properties.currency', op: 'not_in_list', list: 'codes' }, true],
    [{ field: 'properties.nothing', op: 'not_in_list', list: 'codes' }, false],
    [{ field: 'context.user_agent', op: 'matches_list', list: 'agents' }, true],
    [{ field: 'properties.category', op: 'is_blank' }, true],
    [{ field: 'properties.items', op: 'is_type', value: 'array' }, true],
    [{ field: 'properties.items.1.price', op: 'lt', value: 0 }, true],
    [{ field: '$items.min_price', op: 'lt', value: 0 }, true],
    [{ field: '$items.min_quantity', op: 'eq', value: 1 }, true],
    [{ field: '$age_ms', op: 'eq', value: 6000 }, true],
    [{ field: '$session.interval_cv', op: 'lt', value: 0.1 }, true],
    [{ all: [{ field: 'user_id', op: 'exists' }, { not: { field: 'anonymous_id', op: 'exists' } }] }, true],
    [{ any: [{ field: 'user_id', op: 'missing' }, { field: 'properties.price', op: 'gt', value: 100 }] }, false],
    [{ field: 'user_id', op: 'starts_with', value: 'u' }, true],
    [{ field: 'user_id', op: 'contains', value: 'x' }, false],
  ])('%j → %s', (def, expected) => {
    expect(check(def, ev)).toBe(expected);
  });

  it('reads own properties only: inherited keys and prototype paths are out of reach', () => {
    expect(check({ field: 'properties.toString', op: 'exists' }, ev)).toBe(false);
    expect(check({ field: 'user_id.length', op: 'exists' }, ev)).toBe(false);
    for (const field of ['__proto__.polluted', 'constructor', 'properties.prototype']) {
      expect(Condition.safeParse({ field, op: 'exists' }).success).toBe(false);
    }
    const hostile = JSON.parse('{"__proto__": {"admin": true}, "properties": {}}') as Record<string, unknown>;
    expect(check({ field: 'admin', op: 'exists' }, hostile)).toBe(false);
  });

  it('treats list entries as literal text, never as patterns', () => {
    expect(check({ field: 'context.user_agent', op: 'matches_list', list: 'agents' }, { context: { user_agent: 'crawlxer' } })).toBe(false);
    expect(check({ field: 'context.user_agent', op: 'matches_list', list: 'agents' }, { context: { user_agent: 'A|B' } })).toBe(true);
  });

  it('refuses at compile time what cannot be evaluated', () => {
    const compile = (def: ConditionDef) => () => compileCondition(def, env);
    expect(compile({ field: 'properties.price', op: 'lt', value: 'ten' })).toThrow('lt on properties.price needs a number value');
    expect(compile({ field: 'properties.price', op: 'lt', value: { param: 'nope' } })).toThrow('unknown param nope');
    expect(compile({ field: 'x', op: 'in_list', list: 'nope' })).toThrow('needs a known list');
    expect(compile({ field: '$session.nope', op: 'exists' })).toThrow('unknown computed field $session.nope');
  });
});
