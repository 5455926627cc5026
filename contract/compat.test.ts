import fs from 'node:fs';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { SCHEMA_DIR, published, schemaFile } from '../scripts/export-schemas';
import { breakingChanges } from './compat';
import { Id, eventSchema } from './envelope';
import { EVENT_SCHEMAS, Purchase } from './events';

const json = (s: object) => JSON.parse(published(s)) as Record<string, unknown>;

describe('schema compatibility (CI)', () => {
  it.each(EVENT_SCHEMAS.map((s) => [`${s.properties.event_type.const} v${s.properties.schema_version.const}`, s] as const))('%s only grew additively since it was published', (_name, schema) => {
    const file = schemaFile(schema.properties.event_type.const, schema.properties.schema_version.const);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: publish it with \`npx tsx scripts/export-schemas.ts\``);
    expect(breakingChanges(JSON.parse(fs.readFileSync(file, 'utf8')), json(schema))).toEqual([]);
    // An additive change is accepted but must be published too, so the next check compares with it.
    expect(fs.readFileSync(file, 'utf8')).toBe(published(schema));
  });

  it('keeps every published version: a version is never removed', () => {
    const current = new Set(EVENT_SCHEMAS.map((s) => schemaFile(s.properties.event_type.const, s.properties.schema_version.const)));
    const files = fs.readdirSync(SCHEMA_DIR).flatMap((t) => fs.readdirSync(path.join(SCHEMA_DIR, t)).map((f) => path.join(SCHEMA_DIR, t, f)));
    expect(files.filter((f) => !current.has(f))).toEqual([]);
  });
});

describe('breakingChanges', () => {
  const v1 = json(Purchase);
  const variant = (props: Parameters<typeof Type.Object>[0]) => json(eventSchema('purchase', 1, Type.Object(props), 'x'));
  const base = Purchase.properties.properties.properties;

  it('accepts new optional properties and wider bounds', () => {
    expect(breakingChanges(v1, variant({ ...base, coupon: Type.Optional(Type.String()) }))).toEqual([]);
    expect(breakingChanges(v1, variant({ ...base, revenue: Type.Number({ minimum: -1e13, maximum: 1e13 }) }))).toEqual([]);
  });

  it.each<[string, Parameters<typeof Type.Object>[0], RegExp]>([
    ['a removed property', { revenue: base.revenue, currency: base.currency, items: base.items }, /\/properties\/order_id: removed/],
    ['a type change', { ...base, revenue: Type.String() }, /\/properties\/revenue: type \["number"\] became \["string"\]/],
    ['a new required field', { ...base, order_id: Id() }, /\/properties: order_id became required/],
    ['a narrowed bound', { ...base, revenue: Type.Number({ minimum: 0, maximum: 1e12 }) }, /\/properties\/revenue: minimum narrowed from -1000000000000 to 0/],
    ['a narrowed pattern', { ...base, currency: Type.String({ pattern: '^[A-Z]{3}$' }) }, /\/properties\/currency: pattern/],
    ['a narrowed enum', { ...base, currency: Type.Union([Type.Literal('USD'), Type.Literal('EUR')]) }, /\/properties\/currency: anyOf changed/],
    ['fewer items', { ...base, items: Type.Optional(Type.Array(Type.Object({ product_id: Id() }), { maxItems: 10 })) }, /\/properties\/items: maxItems narrowed from 500 to 10/],
    ['a closed object', { ...base, items: Type.Optional(Type.Array(Type.Object({ product_id: Id() }, { additionalProperties: false }), { maxItems: 500 })) }, /\/properties\/items\/items: additional properties are no longer allowed/],
  ])('flags %s', (_what, props, message) => {
    expect(breakingChanges(v1, variant(props)).join('\n')).toMatch(message);
  });

  it('flags a removed enum value', () => {
    expect(breakingChanges({ enum: ['a', 'b'] }, { enum: ['a'] })).toEqual(['/: enum no longer allows "b"']);
  });
});
