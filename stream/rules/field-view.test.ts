import fc from 'fast-check';
import type { StorefrontEvent } from '../../contract/events';
import { compileAction, Draft } from './actions';
import { createApplyRulesStep } from './apply-rules.step';
import { compileRuleSet } from './compile-ruleset';
import { compileCondition } from './conditions';
import type { Facts } from './facts';
import { FieldSlots } from './field-view';
import { Rule, type RuleDef } from './rule-file';

/**
 * The engine reads each field once per event and again only after a fix that can change it.
 * Against conditions compiled one by one, which read every field afresh at every test, it
 * must decide alike: same rules hit, same fixed event, whatever the fixes write and the
 * later rules read (objects on the way to a field, fields below it, computed fields).
 */
const FIELDS = ['user_id', 'context', 'context.ip', 'context.x', 'properties', 'properties.price', 'properties.items', 'properties.items.0', 'properties.items.0.price', 'properties.toString', '$items.min_price', '$age_ms'];
const WRITABLE = FIELDS.filter((f) => !f.startsWith('$'));
const scalar = fc.oneof(fc.constantFrom(' Ab ', 'x', '', '10.0.0.1', 'a@b.co'), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null));
const leaf = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom('exists' as const, 'missing' as const, 'is_blank' as const) }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom('eq' as const, 'ne' as const), value: scalar }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constantFrom('lt' as const, 'gte' as const), value: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ field: fc.constantFrom(...FIELDS), op: fc.constant('is_type' as const), value: fc.constantFrom('object', 'array', 'string', 'number') }),
);
const when = fc.oneof(leaf, fc.record({ any: fc.array(leaf, { minLength: 1, maxLength: 3 }) }), fc.record({ all: fc.array(leaf, { minLength: 1, maxLength: 3 }) }));
const action = fc.oneof(
  fc.record({ type: fc.constant('tag' as const) }),
  fc.record({ type: fc.constant('set' as const), field: fc.constantFrom(...WRITABLE), value: scalar }),
  fc.record({ type: fc.constant('unset' as const), field: fc.constantFrom(...WRITABLE) }),
  fc.record({ type: fc.constant('normalise' as const), field: fc.constantFrom(...WRITABLE), to: fc.constantFrom('trim_lower' as const, 'upper' as const) }),
  fc.record({ type: fc.constant('derive' as const), field: fc.constantFrom(...WRITABLE), fn: fc.constantFrom('truncate_ip' as const, 'trim' as const) }),
);
const rules = fc.array(fc.record({ when, action }), { minLength: 1, maxLength: 12 })
  .map((rs) => rs.map((r, i) => Rule.parse({ id: `r${i}`, description: 'generated', category: 'validity', score: 0.9, ...r })));
const value = fc.oneof(scalar, fc.array(fc.oneof(scalar, fc.record({ price: fc.integer({ min: -3, max: 3 }) })), { maxLength: 2 }));
const object = fc.dictionary(fc.constantFrom('ip', 'x', 'price', 'items', 'toString'), value);
const event = fc.record({ user_id: value, context: fc.oneof(object, value), properties: fc.oneof(object, value) }, { requiredKeys: [] })
  .map((e) => ({ event_id: 'e1', event_type: 'page_view', session_id: 's1', occurred_at: '2026-11-23T10:00:00.000Z', ...e }));

/** The rules applied in order, each condition and fix reading the event as it stands. */
function reference(defs: RuleDef[], input: Record<string, unknown>, facts: Facts) {
  const draft = new Draft(input);
  const hits: string[] = [];
  for (const def of defs) {
    if (!compileCondition(def.when, { params: {}, lists: new Map() })(draft.root, facts)) continue;
    const slots = new FieldSlots();
    const action = compileAction(def.action, slots);
    const view = slots.view();
    view.load(draft.root, facts);
    if (action.kind === 'fix' && !action.apply(draft, view)) continue;
    hits.push(def.id);
  }
  return { event: draft.root, hits };
}

describe('field slots', () => {
  it('decide as conditions that read every field afresh, through any fixes', () => {
    fc.assert(fc.property(rules, event, (defs, input) => {
      const set = compileRuleSet({ manifest: { version: '1', params: {}, lists: {}, files: ['x.json'] }, files: [{ name: 'x.json', rules: defs }], lists: new Map(), digest: '' });
      const receivedAt = Date.parse(input.occurred_at) + 1000;
      const r = createApplyRulesStep({ rules: () => set, threshold: 0 })(input as unknown as StorefrontEvent, receivedAt);
      const want = reference(defs, input, { receivedAt, occurredAt: receivedAt - 1000, session: undefined });
      expect(r.kind).toBe('ok');
      if (r.kind !== 'ok') return;
      expect(r.value.quality.rulesHit).toEqual(want.hits);
      expect(r.value.event).toEqual(want.event);
    }), { numRuns: 3000 });
  });
});
