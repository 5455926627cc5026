import fs from 'node:fs';
import { sqlNumber } from '../../lib/sql-literal';
import { assetPath } from '../../lib/package-root';
import {
  clickhouseDialect, KPI_MEASURES, TRENDING_MEASURES, trendingScore, USER_MINUTE_MEASURES,
  type Dialect, type KpiRollupSql, type Measure,
} from '../live-views';

/**
 * The ClickHouse compilation of the rollups declared in warehouse/live-views.ts. Each measure there
 * is one aggregate call made through a Dialect; here that call is compiled three ways from the same
 * declaration: the -State expression a materialized view stores, the AggregateFunction column type
 * of the aggregating table, and the -Merge expression queries read it back with. The DDL is
 * emitted into sql/clickhouse/002_rollups.sql (`npx tsx warehouse/live-store/clickhouse-rollups.ts --write`);
 * a test keeps the committed file equal to what this module generates.
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
  if (!t) throw new Error(`rollup measure aggregates ${JSON.stringify(expr)}: add its type to COLUMN_TYPES in clickhouse-rollups.ts`);
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

interface Key {
  /** Column name; never the name of an events column unless expr is that column (ClickHouse reads aliases in WHERE). */
  name: string;
  expr: string; // over events rows
  type: string;
}

export interface Rollup {
  table: string;
  view: string;
  doc: string;
  keys: Key[];
  where?: string; // rows of events the rollup keeps
  measures: CompiledMeasure[];
}

const EVENTS_COLUMNS = new Set(['event_id', 'event_type', 'occurred_ms', 'received_ms', 'user_key', 'session_id', 'product_id', 'category', 'revenue', 'price', 'quantity']);

const minuteKey: Key = { name: 'minute_ms', expr: clickhouseDialect.minuteMs('occurred_ms'), type: 'Int64' };

export const KPI_ROLLUP: Rollup = {
  table: 'kpi_minute',
  view: 'kpi_minute_mv',
  doc: 'The KPI rollup per minute (KPI_MEASURES).',
  keys: [minuteKey],
  measures: KPI_MEASURES.map(compileMeasure),
};

export const TRENDING_ROLLUP: Rollup = {
  table: 'trending_minute',
  view: 'trending_minute_mv',
  doc: 'Trending per minute and product (TRENDING_MEASURES).',
  keys: [minuteKey, { name: 'product', expr: 'assumeNotNull(product_id)', type: 'String' }],
  where: 'product_id IS NOT NULL',
  measures: TRENDING_MEASURES.map(compileMeasure),
};

export const USER_ROLLUP: Rollup = {
  table: 'user_minute',
  view: 'user_minute_mv',
  doc: 'Per-user counts per minute (USER_MINUTE_MEASURES).',
  keys: [{ name: 'user_key', expr: 'user_key', type: 'String' }, minuteKey],
  measures: USER_MINUTE_MEASURES.map(compileMeasure),
};

export const ROLLUPS = [KPI_ROLLUP, TRENDING_ROLLUP, USER_ROLLUP];

/** Partition of every per-minute table: the UTC day, the same partition ids as events. */
const DAY_OF_MINUTE = 'toYYYYMMDD(toDateTime(intDiv(minute_ms, 1000), \'UTC\'))';

/** `SELECT keys, states FROM source WHERE ... GROUP BY keys`: the view body, and the edges of a window. */
function stateSelect(r: Rollup, source: string, where: string[], keys: Key[] = r.keys): string {
  for (const k of keys) if (k.expr !== k.name && EVENTS_COLUMNS.has(k.name)) throw new Error(`rollup ${r.table}: key ${k.name} would shadow the events column of that name`);
  const cols = [...keys.map((k) => (k.expr === k.name ? k.name : `${k.expr} AS ${k.name}`)), ...r.measures.map((m) => `${m.state} AS ${m.column}`)];
  const conditions = [...(r.where ? [r.where] : []), ...where];
  return `SELECT ${cols.join(',\n  ')}\nFROM ${source}${conditions.length ? `\nWHERE ${conditions.join(' AND ')}` : ''}\nGROUP BY ${keys.map((k) => k.name).join(', ')}`;
}

export function rollupDdl(r: Rollup): string[] {
  const cols = [...r.keys.map((k) => `${k.name} ${k.type}`), ...r.measures.map((m) => `${m.column} ${m.type}`)];
  return [
    `-- ${r.doc}\nCREATE TABLE IF NOT EXISTS ${r.table} (\n  ${cols.join(',\n  ')}\n) ENGINE = AggregatingMergeTree\nPARTITION BY ${DAY_OF_MINUTE}\nORDER BY (${r.keys.map((k) => k.name).join(', ')})`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${r.view} TO ${r.table} AS\n${stateSelect(r, 'events', [])}`,
  ];
}

export const ROLLUP_MIGRATION = '002_rollups.sql';

/** The text of sql/clickhouse/002_rollups.sql. */
export function rollupMigrationSql(): string {
  return [
    '-- GENERATED by warehouse/live-store/clickhouse-rollups.ts from the declarations in warehouse/live-views.ts.',
    '-- Do not edit. A changed declaration needs a new migration (see sql/clickhouse/README.md).',
    '-- Aggregating tables fed by materialized views from events: the same INSERT that stores a row',
    '-- adds it to every rollup. Queries read them with -Merge (clickhouse-rollups.ts).',
    '',
    ROLLUPS.flatMap(rollupDdl).map((s) => `${s};\n`).join('\n'),
  ].join('\n');
}

/**
 * A window (from, to] in epoch ms: its whole minutes [lo, hi) come from the rollup, the rest
 * (at most one partial minute at each end) from events_by_time, so results are exact to the ms.
 */
function windowSplit(from: number, to: number) {
  const lo = (Math.floor(from / 60_000) + 1) * 60_000; // first minute starting after `from`
  const hi = Math.floor((to + 1) / 60_000) * 60_000; // minutes ending by `to` (inclusive) end here
  const whole = `minute_ms >= ${sqlNumber(lo)} AND minute_ms < ${sqlNumber(hi)}`;
  // When lo >= hi there is no whole minute and the second clause is always true.
  const edges = [`occurred_ms > ${sqlNumber(from)}`, `occurred_ms <= ${sqlNumber(to)}`, `(occurred_ms < ${sqlNumber(lo)} OR occurred_ms >= ${sqlNumber(hi)})`];
  return { whole, edges };
}

/** The rows of states for a window: stored whole minutes plus the edges computed from events. */
function windowStates(r: Rollup, from: number, to: number, keys: Key[]): string {
  const { whole, edges } = windowSplit(from, to);
  const stored = `SELECT ${[...keys.map((k) => k.name), ...r.measures.map((m) => m.column)].join(', ')}\nFROM ${r.table}\nWHERE ${whole}`;
  return `${stored}\nUNION ALL\n${stateSelect(r, 'events_by_time', edges, keys)}`;
}

const merges = (r: Rollup) => r.measures.map((m) => `${m.merge} AS ${m.name}`).join(',\n  ');

/** kpiByMinuteSql / kpiTotalsSql over the rollup: same columns, same numbers. */
export const kpiRollupSql: KpiRollupSql = {
  byMinute: (from, to) =>
    `SELECT minute_ms,\n  ${merges(KPI_ROLLUP)}\nFROM (\n${windowStates(KPI_ROLLUP, from, to, KPI_ROLLUP.keys)}\n)\nGROUP BY minute_ms\nORDER BY minute_ms`,
  totals: (from, to) => `SELECT ${merges(KPI_ROLLUP)}\nFROM (\n${windowStates(KPI_ROLLUP, from, to, KPI_ROLLUP.keys)}\n)`,
};

/** The ClickHouse dialect whose KPI queries read the rollup (buildKpiReport takes it as is). */
export const clickhouseRollupDialect: Dialect = { ...clickhouseDialect, kpiRollup: kpiRollupSql };

/** trendingSql over the rollup: same columns, same order. */
export function trendingRollupSql(from: number, to: number, limit: number): string {
  const r = TRENDING_ROLLUP;
  const product = r.keys.filter((k) => k.name === 'product');
  const m = Object.fromEntries(r.measures.map((x) => [x.name, x.merge]));
  return `SELECT product AS product_id,\n  ${merges(r)},\n  ${trendingScore(m.views, m.carts)} AS score
FROM (\n${windowStates(r, from, to, product)}\n)
GROUP BY product
ORDER BY score DESC, product_id
LIMIT ${sqlNumber(limit)}`;
}

export const ROLLUP_TABLES = ROLLUPS.map((r) => r.table);

if (require.main === module) {
  const file = assetPath('sql', 'clickhouse', ROLLUP_MIGRATION);
  if (process.argv.includes('--write')) {
    fs.writeFileSync(file, rollupMigrationSql());
    console.log(`wrote ${file}`);
  } else {
    process.stdout.write(rollupMigrationSql());
  }
}
