import { randomUUID } from 'node:crypto';
import { createEventValidator } from './validate';

const validate = createEventValidator();
const base = () => ({
  event_id: randomUUID(),
  event_type: 'add_to_cart',
  schema_version: 1,
  occurred_at: '2026-11-23T10:00:00.000Z',
  user_id: 'u1',
  session_id: 's1',
  properties: { product_id: 'p1', price: 9.99, currency: 'EUR', quantity: 1 },
});

describe('event validator', () => {
  it('accepts a well-formed event and an additive field', () => {
    expect(validate(base()).ok).toBe(true);
    expect(validate({ ...base(), properties: { ...base().properties, color: 'red' } }).ok).toBe(true);
  });

  it('requires user_id or anonymous_id', () => {
    const { user_id: _drop, ...anon } = base();
    expect(validate(anon)).toEqual({ ok: false, reason: 'schema_invalid', errors: ['/ must have user_id or anonymous_id'] });
    expect(validate({ ...anon, anonymous_id: 'a1' }).ok).toBe(true);
  });

  it('names unknown types and versions', () => {
    expect(validate({ ...base(), event_type: 'teleport' })).toMatchObject({ ok: false, reason: 'unknown_event_type' });
    expect(validate({ ...base(), schema_version: 9 })).toMatchObject({ ok: false, reason: 'unknown_schema_version' });
    expect(validate([1])).toMatchObject({ ok: false, reason: 'not_an_object' });
    expect(validate(null)).toMatchObject({ ok: false, reason: 'not_an_object' });
  });

  it('rejects wrong types, bad ids and oversized strings with paths', () => {
    const r = validate({ ...base(), event_id: 'nope', properties: { product_id: 'p', quantity: 'two' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(expect.arrayContaining(['/event_id must match format "uuid"', '/properties/quantity must be integer']));
    expect(validate({ ...base(), session_id: 'x'.repeat(10_000) }).ok).toBe(false);
  });

  it('refuses events nested deeper than JSON.stringify can serialise, without throwing', () => {
    const deep = JSON.parse(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
    expect(validate({ ...base(), properties: { ...base().properties, x: deep } })).toMatchObject({ ok: false, reason: 'too_deep' });
    expect(validate({ ...base(), properties: { ...base().properties, x: { a: { b: [1] } } } }).ok).toBe(true);
  });

  it('is safe on prototype-pollution keys', () => {
    const hostile = JSON.parse(`{"__proto__":{"polluted":1},"event_type":"search"}`);
    expect(validate(hostile).ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
