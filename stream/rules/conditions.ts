import type { Facts } from './facts';
import { FieldSlots, type FieldView } from './field-view';
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
/** A condition compiled against a rule set's field slots, tested on the view of the current event. */
export type Test = (view: FieldView) => boolean;

export interface CompileEnv {
  params: Readonly<Record<string, number>>;
  lists: ReadonlyMap<string, readonly string[]>;
}

type Operand = Extract<ConditionDef, { field: string }>['value'];

const present = (v: unknown) => v !== undefined && v !== null;
/** s.trim() === '', without trimming the usual case: a string that starts with printable ASCII. */
const blank = (s: string) => {
  const c = s.charCodeAt(0);
  return c > 32 && c < 127 ? false : s.trim() === '';
};

/** One condition on its own (tools, tests): its own slots, a fresh read of every field per call. */
export function compileCondition(def: ConditionDef, env: CompileEnv): Predicate {
  const slots = new FieldSlots();
  const test = compileTest(def, env, slots);
  const view = slots.view();
  return (root, facts) => {
    view.load(root, facts);
    return test(view);
  };
}

/** A condition of a rule set: its fields get slots in the set's `slots`. */
export function compileTest(def: ConditionDef, env: CompileEnv, slots: FieldSlots): Test {
  if ('all' in def) {
    const parts = def.all.map((d) => compileTest(d, env, slots));
    if (parts.length === 1) return parts[0];
    if (parts.length === 2) { const [x, y] = parts; return (v) => x(v) && y(v); }
    return (v) => {
      for (let i = 0; i < parts.length; i++) if (!parts[i](v)) return false;
      return true;
    };
  }
  if ('any' in def) {
    const parts = def.any.map((d) => compileTest(d, env, slots));
    if (parts.length === 1) return parts[0];
    if (parts.length === 2) { const [x, y] = parts; return (v) => x(v) || y(v); }
    return (v) => {
      for (let i = 0; i < parts.length; i++) if (parts[i](v)) return true;
      return false;
    };
  }
  if ('not' in def) {
    const inner = compileTest(def.not, env, slots);
    return (v) => !inner(v);
  }
  const at = slots.slot(def.field);
  const value = resolve(def.value, env, def.field);
  switch (def.op) {
    case 'exists': return (v) => present(v.get(at));
    case 'missing': return (v) => !present(v.get(at));
    case 'is_blank': return (v) => {
      const x = v.get(at);
      return !present(x) || (typeof x === 'string' && blank(x));
    };
    case 'eq': return (v) => v.get(at) === value;
    case 'ne': return (v) => {
      const x = v.get(at);
      return present(x) && x !== value;
    };
    case 'lt': { const n = num(value, def); return (v) => { const x = v.get(at); return typeof x === 'number' && x < n; }; }
    case 'lte': { const n = num(value, def); return (v) => { const x = v.get(at); return typeof x === 'number' && x <= n; }; }
    case 'gt': { const n = num(value, def); return (v) => { const x = v.get(at); return typeof x === 'number' && x > n; }; }
    case 'gte': { const n = num(value, def); return (v) => { const x = v.get(at); return typeof x === 'number' && x >= n; }; }
    case 'in': { const set = new Set(arr(value, def)); return (v) => set.has(v.get(at) as never); }
    case 'not_in': { const set = new Set(arr(value, def)); return (v) => { const x = v.get(at); return present(x) && !set.has(x as never); }; }
    case 'contains': { const s = str(value, def); return (v) => { const x = v.get(at); return typeof x === 'string' && x.includes(s); }; }
    case 'starts_with': { const s = str(value, def); return (v) => { const x = v.get(at); return typeof x === 'string' && x.startsWith(s); }; }
    case 'ends_with': { const s = str(value, def); return (v) => { const x = v.get(at); return typeof x === 'string' && x.endsWith(s); }; }
    case 'in_list': { const set = new Set(list(def, env)); return (v) => set.has(v.get(at) as string); }
    case 'not_in_list': { const set = new Set(list(def, env)); return (v) => { const x = v.get(at); return present(x) && !set.has(x as string); }; }
    case 'matches_list': { const matches = compileLiteralMatcher(list(def, env)); return (v) => { const x = v.get(at); return typeof x === 'string' && matches(x); }; }
    case 'is_type': { const t = str(value, def); return (v) => typeOf(v.get(at)) === t; }
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
