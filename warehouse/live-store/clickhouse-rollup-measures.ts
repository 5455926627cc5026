import { clickhouseDialect, type Dialect, type Measure } from '../live-views';

/**
 * Compiles one measure of warehouse/live-views.ts for a ClickHouse rollup. Each measure there is
 * one aggregate call made through a Dialect; here that call is compiled three ways from the same
 * declaration: the -State expression a materialized view stores, the AggregateFunction column type
 * of the aggregating table, and the -Merge expression queries read it back with. The rollups that
 * use them are declared in clickhouse-rollups.ts.
 *
 * State types are chosen to be the same on ClickHouse 18.16 and 24.8: no Nullable arguments (their
 * state types changed between versions) and -If applied outside -State (`countStateIf`), so the
 * stored type is the plain `AggregateFunction(count)`, never an `...If` type.
 */

/** Types of the columns of `events` (sql/clickhouse/001_events.sql) that measures aggregate. */
const COLUMN_TYPES: Record<string, string> = {
  occurred_ms: 'Int64',
  user_key: 'String',
  session_id: 'String',
  product_id: 'Nullable(String)',
  category: 'Nullable(String)',
  revenue: 'Nullable(Float64)',
};

const columnType = (expr: string): string => {
  const t = COLUMN_TYPES[expr];
  if (!t) throw new Error(`rollup measure aggregates ${JSON.stringify(expr)}: add its type to COLUMN_TYPES in clickhouse-rollup-measures.ts`);
  return t;
};
const nullable = (t: string) => /^Nullable\(/.test(t);
const notNull = (t: string) => t.replace(/^Nullable\((.*)\)$/, '$1');

/** One measure, compiled. */
export interface CompiledMeasure {
  name: string; // the result column (same as the declaration)
  column: string; // the state column in the aggregating table
  type: string; // its AggregateFunction type
  state: string; // the -State expression over events rows
  merge: string; // the -Merge expression over state columns, finalized like the raw aggregate
}

type Call = { fn: 'count' } | { fn: 'countIf'; cond: string } | { fn: 'sumIf'; expr: string; cond: string } | { fn: 'uniq'; expr: string } | { fn: 'uniqIf'; expr: string; cond: string } | { fn: 'maxOrNull'; expr: string };

/** Runs a measure against a dialect that records its aggregate call instead of writing it. */
function callOf(m: Measure): Call {
  const calls: Call[] = [];
  const mark = (c: Call) => `\u0001${calls.push(c) - 1}\u0001`;
  const recorder: Dialect = {
    ...clickhouseDialect,
    count: () => mark({ fn: 'count' }),
    countIf: (cond) => mark({ fn: 'countIf', cond }),
    sumIf: (expr, cond) => mark({ fn: 'sumIf', expr, cond }),
    uniq: (expr) => mark({ fn: 'uniq', expr }),
    uniqIf: (expr, cond) => mark({ fn: 'uniqIf', expr, cond }),
    maxOrNull: (expr) => mark({ fn: 'maxOrNull', expr }),
  };
  const text = m.sql(recorder);
  if (calls.length !== 1 || text !== '\u00010\u0001') {
    throw new Error(`measure ${m.name} must be exactly one aggregate call through the Dialect to be kept in a rollup (got ${JSON.stringify(text)})`);
  }
  return calls[0];
}

/** A measure as a rollup column; throws when the declaration cannot be kept in a rollup. */
export function compileMeasure(m: Measure): CompiledMeasure {
  const column = `${m.name}_state`;
  const c = callOf(m);
  const base = { name: m.name, column };
  switch (c.fn) {
    case 'count':
      return { ...base, type: 'AggregateFunction(count)', state: 'countState()', merge: `countMerge(${column})` };
    case 'countIf':
      return { ...base, type: 'AggregateFunction(count)', state: `countStateIf(${c.cond})`, merge: `countMerge(${column})` };
    case 'sumIf': {
      // NULLs add nothing, as in sum(); the raw query's all-NULL result (NULL / coalesced 0) reads as 0 either way.
      const t = columnType(c.expr);
      const arg = nullable(t) ? `ifNull(${c.expr}, 0)` : c.expr;
      return { ...base, type: `AggregateFunction(sum, ${notNull(t)})`, state: `sumStateIf(${arg}, ${c.cond})`, merge: `sumMerge(${column})` };
    }
    case 'uniq':
    case 'uniqIf': {
      const t = columnType(c.expr);
      if (nullable(t)) throw new Error(`measure ${m.name}: distinct counts of Nullable columns are not supported in rollups`);
      const state = c.fn === 'uniq' ? `uniqExactState(${c.expr})` : `uniqExactStateIf(${c.expr}, ${c.cond})`;
      return { ...base, type: `AggregateFunction(uniqExact, ${t})`, state, merge: `uniqExactMerge(${column})` };
    }
    case 'maxOrNull': {
      const t = columnType(c.expr);
      if (!nullable(t)) return { ...base, type: `AggregateFunction(max, ${t})`, state: `maxState(${c.expr})`, merge: `maxMerge(${column})` };
      if (notNull(t) !== 'String') throw new Error(`measure ${m.name}: max of ${t} is not supported in rollups`);
      // NULL is kept as '' and every value as '+value': the same order (a common prefix), '' below all,
      // so max() of the encoding decodes to max() of the values, or NULL when there were none.
      const state = `maxState(if(isNull(${c.expr}), '', concat('+', assumeNotNull(${c.expr}))))`;
      const merge = `if(empty(maxMerge(${column})), NULL, substring(maxMerge(${column}), 2, length(maxMerge(${column})) - 1))`;
      return { ...base, type: 'AggregateFunction(max, String)', state, merge };
    }
  }
}
