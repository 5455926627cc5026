import { sqlNumber } from '../../lib/sql-literal';
import { clickhouseDialect, trendingScore, type Dialect, type KpiRollupSql } from '../live-views';
import { KPI_ROLLUP, stateSelect, TRENDING_ROLLUP, type Key, type Rollup } from './clickhouse-rollups';

/**
 * The KPI and trending queries over the ClickHouse rollups (clickhouse-rollups.ts): the same columns
 * and numbers as the shared queries over raw events, but reading stored -States for whole minutes.
 */

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
