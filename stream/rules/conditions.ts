import { compileGetter, type Facts } from './facts';
import { compileLiteralMatcher } from './literal-matcher';
import type { ConditionDef } from './rule-file';

/**
 * Compiles a declarative condition tree into closures, once per rule-set load. There is no
 * eval and no regular expression taken from a file (a rule author cannot write a pattern
 * that backtracks forever): values are compared, looked up in sets, or matched as literal
 * substrings. Negative operators (`ne`, `not_in`, `not_in_list`) need the field present, so
 * an absent optional field never counts as a bad value.
 */
export type Predicate = (root: Record<string, unknown>, facts: Facts) => boolean;

export interface CompileEnv {
  params: Readonly<Record<string, number>>;
  lists: ReadonlyMap<string, readonly string[]>;
}

type Operand = Extract<ConditionDef, { field: string }>['value'];

const present = (v: unknown) => v !== undefined && v !== null;

export function compileCondition(def: ConditionDef, env: CompileEnv): Predicate {
  if ('all' in def) {
    const parts = def.all.map((d) => compileCondition(d, env));
    if (parts.length === 1) return parts[0];
    if (parts.length === 2) { const [x, y] = parts; return (r, f) => x(r, f) && y(r, f); }
    return (r, f) => {
      for (let i = 0; i < parts.length; i++) if (!parts[i](r, f)) return false;
      return true;
    };
  }
  if ('any' in def) {
    const parts = def.any.map((d) => compileCondition(d, env));
    if (parts.length === 1) return parts[0];
    if (parts.length === 2) { const [x, y] = parts; return (r, f) => x(r, f) || y(r, f); }
    return (r, f) => {
      for (let i = 0; i < parts.length; i++) if (parts[i](r, f)) return true;
      return false;
    };
  }
  if ('not' in def) {
    const inner = compileCondition(def.not, env);
    return (r, f) => !inner(r, f);
  }
  const get = compileGetter(def.field);
  const value = resolve(def.value, env, def.field);
  switch (def.op) {
    case 'exists': return (r, f) => present(get(r, f));
    case 'missing': return (r, f) => !present(get(r, f));
    case 'is_blank': return (r, f) => {
      const v = get(r, f);
      return !present(v) || (typeof v === 'string' && v.trim() === '');
    };
    case 'eq': return (r, f) => get(r, f) === value;
    case 'ne': return (r, f) => {
      const v = get(r, f);
      return present(v) && v !== value;
    };
    case 'lt': { const n = num(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'number' && v < n; }; }
    case 'lte': { const n = num(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'number' && v <= n; }; }
    case 'gt': { const n = num(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'number' && v > n; }; }
    case 'gte': { const n = num(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'number' && v >= n; }; }
    case 'in': { const set = new Set(arr(value, def)); return (r, f) => set.has(get(r, f) as never); }
    case 'not_in': { const set = new Set(arr(value, def)); return (r, f) => { const v = get(r, f); return present(v) && !set.has(v as never); }; }
    case 'contains': { const s = str(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'string' && v.includes(s); }; }
    case 'starts_with': { const s = str(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'string' && v.startsWith(s); }; }
    case 'ends_with': { const s = str(value, def); return (r, f) => { const v = get(r, f); return typeof v === 'string' && v.endsWith(s); }; }
    case 'in_list': { const set = new Set(list(def, env)); return (r, f) => set.has(get(r, f) as string); }
    case 'not_in_list': { const set = new Set(list(def, env)); return (r, f) => { const v = get(r, f); return present(v) && !set.has(v as string); }; }
    case 'matches_list': { const matches = compileLiteralMatcher(list(def, env)); return (r, f) => { const v = get(r, f); return typeof v === 'string' && matches(v); }; }
    case 'is_type': { const t = str(value, def); return (r, f) => typeOf(get(r, f)) === t; }
  }
}

function resolve(value: Operand | undefined, env: CompileEnv, field: string): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (!Object.prototype.hasOwnProperty.call(env.params, value.param)) throw new Error(`condition on ${field} uses unknown param ${value.param}`);
    return env.params[value.param];
  }
  return value;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function num(v: unknown, def: { field: string; op: string }): number {
  if (!isNum(v)) throw new Error(`${def.op} on ${def.field} needs a number value`);
  return v;
}
function str(v: unknown, def: { field: string; op: string }): string {
  if (typeof v !== 'string') throw new Error(`${def.op} on ${def.field} needs a string value`);
  return v;
}
function arr(v: unknown, def: { field: string; op: string }): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${def.op} on ${def.field} needs an array value`);
  return v;
}
function list(def: { field: string; op: string; list?: string }, env: CompileEnv): readonly string[] {
  const entries = def.list === undefined ? undefined : env.lists.get(def.list);
  if (!entries) throw new Error(`${def.op} on ${def.field} needs a known list (got ${def.list ?? 'none'}; known: ${[...env.lists.keys()].join(', ')})`);
  return entries;
}
