import { clickhouseString, duckString, sqlNumber } from '../lib/sql-literal';

/**
 * The live views, declared once. Each view is written against `Dialect`, a handful of
 * functions whose spelling differs between DuckDB and ClickHouse; the adapters compile
 * the same declaration to their engine. Windows are half-open on event time: (asOf - w, asOf].
 * All times are epoch milliseconds so results compare exactly across engines.
 */
export interface Dialect {
  /** Epoch ms of the event time column. */
  readonly occurredMs: string;
  str(value: string): string;
  countIf(cond: string): string;
  sumIf(expr: string, cond: string): string;
  uniq(expr: string): string;
  uniqIf(expr: string, cond: string): string;
  /** Start of the minute, epoch ms. */
  minuteMs(msExpr: string): string;
  int(expr: string): string;
  /** Number of rows. */
  count(): string;
  /** Largest value, NULL when there is none (also over no rows at all). */
  maxOrNull(expr: string): string;
  /**
   * Optional: the engine keeps the KPI rollup pre-aggregated. kpiByMinuteSql / kpiTotalsSql then
   * return this SQL instead, which must yield the same columns and numbers.
   */
  readonly kpiRollup?: KpiRollupSql;
}

/** SQL over an engine's pre-aggregated KPI rollup (see warehouse/live-store/clickhouse-rollups.ts). */
export interface KpiRollupSql {
  byMinute(from: number, to: number): string;
  totals(from: number, to: number): string;
}

export const duckdbDialect: Dialect = {
  occurredMs: 'epoch_ms(occurred_at)',
  str: duckString,
  countIf: (c) => `count(*) FILTER (WHERE ${c})`,
  sumIf: (e, c) => `coalesce(sum(${e}) FILTER (WHERE ${c}), 0)`,
  uniq: (e) => `count(DISTINCT ${e})`,
  uniqIf: (e, c) => `count(DISTINCT ${e}) FILTER (WHERE ${c})`,
  minuteMs: (ms) => `((${ms}) // 60000) * 60000`,
  int: (e) => `CAST(${e} AS BIGINT)`,
  count: () => 'count(*)',
  maxOrNull: (e) => `max(${e})`,
};

export const clickhouseDialect: Dialect = {
  occurredMs: 'occurred_ms',
  str: clickhouseString,
  countIf: (c) => `countIf(${c})`,
  sumIf: (e, c) => `sumIf(${e}, ${c})`,
  uniq: (e) => `uniqExact(${e})`,
  uniqIf: (e, c) => `uniqExactIf(${e}, ${c})`,
  minuteMs: (ms) => `intDiv(${ms}, 60000) * 60000`,
  int: (e) => `toInt64(${e})`,
  count: () => 'count(*)',
  // ClickHouse answers max() over no rows with the type's default (0), not NULL.
  maxOrNull: (e) => `max(toNullable(${e}))`,
};

export const KPI_EVENT_TYPES = ['page_view', 'product_view', 'search', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase'] as const;

/**
 * One measure of a rollup: the same list feeds the per-minute query and the totals. A measure is
 * one aggregate call made through the Dialect, so that engines can also compile it to a
 * pre-aggregated rollup (ClickHouse: -State/-Merge, warehouse/live-store/clickhouse-rollups.ts).
 */
export interface Measure {
  name: string;
  sql: (d: Dialect) => string;
}

const is = (d: Dialect, type: string) => `event_type = ${d.str(type)}`;

export const KPI_MEASURES: Measure[] = [
  { name: 'events', sql: (d) => d.count() },
  ...KPI_EVENT_TYPES.map((t) => ({ name: `n_${t}`, sql: (d: Dialect) => d.countIf(is(d, t)) })),
  { name: 'active_users', sql: (d) => d.uniq('user_key') },
  { name: 'active_sessions', sql: (d) => d.uniq('session_id') },
  { name: 'carts', sql: (d) => d.countIf(is(d, 'add_to_cart')) },
  { name: 'purchases', sql: (d) => d.countIf(is(d, 'purchase')) },
  { name: 'revenue', sql: (d) => d.sumIf('revenue', is(d, 'purchase')) },
  { name: 'cart_sessions', sql: (d) => d.uniqIf('session_id', is(d, 'add_to_cart')) },
  { name: 'purchase_sessions', sql: (d) => d.uniqIf('session_id', is(d, 'purchase')) },
];

const inWindow = (d: Dialect, from: number, to: number) => `${d.occurredMs} > ${sqlNumber(from)} AND ${d.occurredMs} <= ${sqlNumber(to)}`;

export function kpiByMinuteSql(d: Dialect, from: number, to: number): string {
  if (d.kpiRollup) return d.kpiRollup.byMinute(from, to);
  const measures = KPI_MEASURES.map((m) => `${m.sql(d)} AS ${m.name}`).join(',\n  ');
  return `SELECT ${d.minuteMs(d.occurredMs)} AS minute_ms,\n  ${measures}\nFROM events\nWHERE ${inWindow(d, from, to)}\nGROUP BY minute_ms\nORDER BY minute_ms`;
}

export function kpiTotalsSql(d: Dialect, from: number, to: number): string {
  if (d.kpiRollup) return d.kpiRollup.totals(from, to);
  const measures = KPI_MEASURES.map((m) => `${m.sql(d)} AS ${m.name}`).join(',\n  ');
  return `SELECT ${measures}\nFROM events\nWHERE ${inWindow(d, from, to)}`;
}

/** Trending per product, declared once: trendingSql and the ClickHouse rollup both compile it. */
export const TRENDING_MEASURES: Measure[] = [
  { name: 'category', sql: (d) => d.maxOrNull('category') },
  { name: 'views', sql: (d) => d.countIf(is(d, 'product_view')) },
  { name: 'carts', sql: (d) => d.countIf(is(d, 'add_to_cart')) },
  { name: 'purchases', sql: (d) => d.countIf(is(d, 'purchase')) },
];

/** Views weigh 1, cart adds 3: what shoppers are moving towards buying right now. */
export const trendingScore = (views: string, carts: string) => `${views} + 3 * ${carts}`;

export function trendingSql(d: Dialect, from: number, to: number, limit: number): string {
  const m = Object.fromEntries(TRENDING_MEASURES.map((x) => [x.name, x.sql(d)]));
  return `SELECT product_id, ${TRENDING_MEASURES.map((x) => `${m[x.name]} AS ${x.name}`).join(',\n  ')},
  ${trendingScore(m.views, m.carts)} AS score
FROM events
WHERE product_id IS NOT NULL AND ${inWindow(d, from, to)}
GROUP BY product_id
ORDER BY score DESC, product_id
LIMIT ${sqlNumber(limit)}`;
}

const userFilter = (d: Dialect, userKey: string, asOf: number) => `user_key = ${d.str(userKey)} AND ${d.occurredMs} <= ${sqlNumber(asOf)}`;

export function lastViewedProductsSql(d: Dialect, userKey: string, asOf: number, n: number): string {
  return `SELECT product_id, max(category) AS category, max(${d.occurredMs}) AS at_ms
FROM events WHERE ${userFilter(d, userKey, asOf)} AND ${is(d, 'product_view')} AND product_id IS NOT NULL
GROUP BY product_id ORDER BY at_ms DESC, product_id LIMIT ${sqlNumber(n)}`;
}

export function lastViewedCategoriesSql(d: Dialect, userKey: string, asOf: number, n: number): string {
  return `SELECT category, max(${d.occurredMs}) AS at_ms
FROM events WHERE ${userFilter(d, userKey, asOf)} AND ${is(d, 'product_view')} AND category IS NOT NULL
GROUP BY category ORDER BY at_ms DESC, category LIMIT ${sqlNumber(n)}`;
}

export const USER_WINDOWS = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
export const USER_COUNT_TYPES = ['product_view', 'add_to_cart', 'purchase', 'search'] as const;

/** What userCountsSql counts, per user and minute, for engines that keep it pre-aggregated. */
export const USER_MINUTE_MEASURES: Measure[] = [
  { name: 'events', sql: (d) => d.count() },
  ...USER_COUNT_TYPES.map((t) => ({ name: t, sql: (d: Dialect) => d.countIf(is(d, t)) })),
  { name: 'last_seen_ms', sql: (d) => d.maxOrNull(d.occurredMs) },
];

export function userCountsSql(d: Dialect, userKey: string, asOf: number): string {
  const cols = Object.entries(USER_WINDOWS).flatMap(([label, ms]) => {
    const w = `${d.occurredMs} > ${sqlNumber(asOf - ms)}`;
    const suffix = label.replace(/\W/g, '');
    return [
      `${d.countIf(w)} AS events_${suffix}`,
      ...USER_COUNT_TYPES.map((t) => `${d.countIf(`${w} AND ${is(d, t)}`)} AS ${t}_${suffix}`),
    ];
  });
  return `SELECT ${cols.join(',\n  ')}, ${d.maxOrNull(d.occurredMs)} AS last_seen_ms
FROM events WHERE ${userFilter(d, userKey, asOf)} AND ${d.occurredMs} > ${sqlNumber(asOf - USER_WINDOWS['24h'] * 30)}`;
}

export function lastPurchaseSql(d: Dialect, userKey: string, asOf: number): string {
  return `SELECT order_id, revenue, currency, ${d.occurredMs} AS at_ms
FROM events WHERE ${userFilter(d, userKey, asOf)} AND ${is(d, 'purchase')}
ORDER BY at_ms DESC, order_id LIMIT 1`;
}

/**
 * Cart = adds minus removes since the user's last purchase (a purchase empties the cart). The sums
 * are named apart from the columns: ClickHouse would read `quantity` in HAVING as the alias.
 */
export function cartSql(d: Dialect, userKey: string, asOf: number, lastPurchaseMs: number): string {
  const qty = `CASE WHEN ${is(d, 'add_to_cart')} THEN quantity ELSE -quantity END`;
  return `SELECT product_id, cart_quantity AS quantity, cart_price AS price FROM (
SELECT product_id, sum(${qty}) AS cart_quantity, max(CASE WHEN ${is(d, 'add_to_cart')} THEN price END) AS cart_price
FROM events WHERE ${userFilter(d, userKey, asOf)} AND ${d.occurredMs} > ${sqlNumber(lastPurchaseMs)}
  AND event_type IN (${d.str('add_to_cart')}, ${d.str('remove_from_cart')}) AND product_id IS NOT NULL
GROUP BY product_id) AS cart WHERE cart_quantity > 0 ORDER BY product_id`;
}
