import fc from 'fast-check';
import { createEventValidator } from '../../contract/validate';
import { createGenerator } from '../../ingest/generator/generator';
import { toLiveEvent } from '../steps/to-live-event';
import { parseEvent } from '../steps/parse-event.step';
import { createBundledRuleStep, parseInstant } from './apply-rules.step';

/**
 * The rule engine under arbitrary input that got past the contract: it never throws, never
 * mutates its input, answers ok or DLQ, and what it lets through still passes the contract
 * and becomes a live-store row whose numeric columns fit their types.
 */
const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const gen = createGenerator({ seed: 'rules-property', now: () => NOW - 5000 });
const validate = createEventValidator();
const step = createBundledRuleStep();

const value = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.string({ maxLength: 2000 }),
  fc.constantFrom('null', ' ', '', 'usd', 'XTS', '::1', '10.0.0.1', 'a@b.co', '%40', "' OR 1=1 --", '2026-12-31T23:59:60Z', '\ud800'),
  fc.double(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
);
const PATHS = ['user_id', 'anonymous_id', 'session_id', 'occurred_at', 'properties.price', 'properties.quantity', 'properties.currency', 'properties.category', 'properties.query', 'properties.order_id', 'properties.items', 'properties.revenue', 'context.ip', 'context.user_agent', 'context.page_url', 'context.referrer'];
const event = fc.tuple(fc.integer({ min: 1, max: 50 }), fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { maxLength: 4 })).map(([skip, edits]) => {
  let e = gen.next();
  for (let i = 1; i < skip; i++) e = gen.next();
  const copy = JSON.parse(JSON.stringify(e)) as Record<string, Record<string, unknown>>;
  for (const [path, v] of edits) {
    const [a, b] = path.split('.');
    const wire = v === undefined ? undefined : JSON.parse(JSON.stringify(v));
    if (b === undefined) copy[a] = wire as Record<string, unknown>;
    else if (typeof copy[a] === 'object' && copy[a] !== null) copy[a][b] = wire;
  }
  return copy as unknown;
});

describe('rule engine properties', () => {
  it('never throws, never mutates, and only lets through what the contract and the store accept', () => {
    fc.assert(fc.property(event, fc.integer({ min: -86_400_000, max: 30 * 86_400_000 }), (input, skew) => {
      const checked = validate(input);
      if (!checked.ok) return;
      const before = JSON.stringify(input);
      const r = step(checked.event, NOW + skew);
      expect(JSON.stringify(input)).toBe(before);
      expect(['ok', 'dlq']).toContain(r.kind);
      if (r.kind !== 'ok') return;
      expect(validate(r.value.event).ok).toBe(true);
      const row = toLiveEvent(r.value.event, { partition: 0, offset: 0, receivedAt: NOW }, r.value.quality);
      expect(Number.isFinite(row.occurred_at)).toBe(true);
      if (row.quantity !== null) expect(Number.isInteger(row.quantity) && Math.abs(row.quantity) < 2 ** 31).toBe(true);
      expect(row.quality_score).toBeGreaterThanOrEqual(0.5);
    }), { numRuns: 2000 });
  });

  it('parses any bytes into a value or a DLQ verdict', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(['ok', 'dlq']).toContain(parseEvent(Buffer.from(bytes)).kind);
    }), { numRuns: 2000 });
  });

  it('parses occurred_at exactly as Date.parse does, fast path or not', () => {
    const iso = fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toISOString());
    const odd = fc.tuple(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }))
      .map(([y, mo, d, h, mi, s]) => `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}.123Z`);
    fc.assert(fc.property(fc.oneof(iso, odd, fc.string({ maxLength: 30 })), (text) => {
      expect(parseInstant(text)).toBe(Date.parse(text));
    }), { numRuns: 5000 });
  });

  it('works out every day from 1970 to 2600 as Date.parse does', () => {
    for (let t = 0; t < Date.UTC(2600, 0, 1); t += 86_400_000 + 3_723_456) {
      const text = new Date(t).toISOString();
      if (parseInstant(text) !== Date.parse(text)) expect(parseInstant(text)).toBe(Date.parse(text));
    }
  });
});
