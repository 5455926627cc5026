/**
 * Schema evolution within a version must be additive: a consumer that validated against the
 * published JSON Schema (contract/json/<type>/v<N>.json) must still accept every event the
 * current schema accepts. This lists the changes that break that, comparing two JSON Schemas
 * keyword by keyword: a removed property, a changed type or const, a newly required field, a
 * narrowed enum, bound, length, pattern or format, closed additional properties. New optional
 * properties and wider bounds pass. CI runs it on every schema (compat.test.ts).
 */
type Schema = Record<string, unknown>;

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const types = (s: Schema) => (s.type === undefined ? undefined : ([] as unknown[]).concat(s.type));

/** Bounds whose value may only grow (upper) or shrink (lower) within a version. */
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];

export function breakingChanges(published: Schema, current: Schema, at = ''): string[] {
  const where = at || '/';
  const out: string[] = [];
  const was = types(published);
  const now = types(current);
  if (now && (!was || was.some((t) => !now.includes(t)))) out.push(`${where}: type ${JSON.stringify(was ?? 'any')} became ${JSON.stringify(now)}`);
  if ('const' in current && !same(published.const, current.const)) out.push(`${where}: const ${JSON.stringify(published.const)} became ${JSON.stringify(current.const)}`);
  if (Array.isArray(current.enum)) {
    const removed = Array.isArray(published.enum) ? published.enum.filter((v) => !(current.enum as unknown[]).some((c) => same(c, v))) : ['(any value)'];
    if (removed.length) out.push(`${where}: enum no longer allows ${removed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  for (const k of ['pattern', 'format']) {
    if (current[k] !== undefined && current[k] !== published[k]) out.push(`${where}: ${k} ${JSON.stringify(published[k] ?? null)} became ${JSON.stringify(current[k])}`);
  }
  for (const k of UPPER) {
    if (typeof current[k] === 'number' && !(typeof published[k] === 'number' && (current[k] as number) >= (published[k] as number))) out.push(`${where}: ${k} narrowed from ${published[k] ?? 'none'} to ${current[k]}`);
  }
  for (const k of LOWER) {
    if (typeof current[k] === 'number' && !(typeof published[k] === 'number' && (current[k] as number) <= (published[k] as number))) out.push(`${where}: ${k} narrowed from ${published[k] ?? 'none'} to ${current[k]}`);
  }
  if (current.additionalProperties === false && published.additionalProperties !== false) out.push(`${where}: additional properties are no longer allowed`);
  const required = new Set(Array.isArray(published.required) ? (published.required as string[]) : []);
  for (const r of Array.isArray(current.required) ? (current.required as string[]) : []) if (!required.has(r)) out.push(`${where}: ${r} became required`);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if (current[k] !== undefined && !same(published[k], current[k])) out.push(`${where}: ${k} changed`);
  }
  const oldProps = isObject(published.properties) ? published.properties : {};
  const newProps = isObject(current.properties) ? current.properties : {};
  for (const [name, schema] of Object.entries(oldProps)) {
    const next = newProps[name];
    if (next === undefined) out.push(`${at}/${name}: removed (or renamed)`);
    else if (isObject(schema) && isObject(next)) out.push(...breakingChanges(schema, next, `${at}/${name}`));
  }
  if (isObject(published.items) && isObject(current.items)) out.push(...breakingChanges(published.items, current.items, `${at}/items`));
  else if (isObject(current.items) && published.items === undefined) out.push(`${at}/items: item schema added`);
  return out;
}
