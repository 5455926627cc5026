import type { ClickHouseClient } from '@clickhouse/client';
import fs from 'node:fs';
import path from 'node:path';
import { splitStatements } from '../../lib/migrations';
import { clickhouseString } from '../../lib/sql-literal';

/**
 * The SQL of the Kafka engine side of bench/clickhouse-kafka-engine.bench.ts: its views over the
 * engine table, mirroring the migrations' views on `events`, and a fingerprint of what a round
 * stored, to check that both sides stored the same rows and rollups.
 */

/** Columns the cleaning rules may rewrite on our side (privacy: IP truncation, e-mail scrubbing): differences there are expected. */
export const RULE_REWRITTEN = new Set(['ips', 'urls', 'no_referrer', 'agents', 'locales']);

/** What a round stored, comparable between the two sides (receive times and provenance excluded). */
export async function fingerprint(client: ClickHouseClient): Promise<Record<string, string>> {
  const one = async (sql: string) => ((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>())[0] ?? {});
  const row = await one(`SELECT count() AS rows, uniqExact(event_id) AS ids, uniqExact(user_key) AS users, uniqExact(session_id) AS sessions,
  sum(occurred_ms) AS occurred, countIf(user_id IS NULL) AS no_user_id, countIf(product_id IS NOT NULL) AS products,
  countIf(category IS NOT NULL) AS categories, countIf(brand IS NOT NULL) AS brands, round(sum(ifNull(price, 0)), 2) AS price,
  sum(ifNull(quantity, 0)) AS quantity, countIf(search_query IS NOT NULL) AS searches, countIf(order_id IS NOT NULL) AS orders,
  round(sum(ifNull(revenue, 0)), 2) AS revenue, uniqExact(currency) AS currencies, uniqExact(page_url) AS urls, countIf(referrer IS NULL) AS no_referrer,
  uniqExact(user_agent) AS agents, uniqExact(ip) AS ips, uniqExact(locale) AS locales, uniqExact(event_type) AS types FROM events`);
  const derived = await one(`SELECT
  (SELECT count() FROM events_by_time) AS by_time, (SELECT count() FROM sink_landed) AS landed,
  (SELECT countMerge(events_state) FROM kpi_minute) AS kpi_events, (SELECT uniqExactMerge(active_users_state) FROM kpi_minute) AS kpi_users,
  (SELECT round(sumMerge(revenue_state), 2) FROM kpi_minute) AS kpi_revenue,
  (SELECT countMerge(views_state) FROM trending_minute) AS trending_views, (SELECT countMerge(events_state) FROM user_minute) AS user_minute_events`);
  return Object.fromEntries(Object.entries({ ...row, ...derived }).map(([k, v]) => [k, String(v)]));
}

/**
 * The Kafka engine side's column extraction, as WITH aliases named like the columns of `events`
 * (the same values toLiveEvent gives them, same types: 18.16 does not convert a view's block).
 * occurred_at is computed as in sql/clickhouse/001_events.sql: 18.16 does not fill MATERIALIZED
 * columns for a view's block.
 */
function extraction(topic: string): { with: string; columns: string[] } {
  const s = (key: string) => `visitParamExtractString(raw, ${clickhouseString(key)})`;
  const text = (key: string) => `nullIf(${s(key)}, '')`;
  // Checkout and purchase carry their products in items[]: toLiveEvent leaves these columns null.
  const productField = (expr: string) => `if(event_type IN ('begin_checkout', 'purchase'), NULL, ${expr})`;
  const num = (key: string, cast: string) => `if(visitParamHas(raw, ${clickhouseString(key)}), toNullable(${cast}(visitParamExtract${cast === 'toInt32' ? 'Int' : 'Float'}(raw, ${clickhouseString(key)}))), NULL)`;
  const occurred = s('occurred_at');
  const columns: [string, string][] = [
    ['event_id', s('event_id')],
    ['event_type', s('event_type')],
    ['schema_version', "toInt32(visitParamExtractInt(raw, 'schema_version'))"],
    ['occurred_ms', `toInt64(toUnixTimestamp(parseDateTimeBestEffort(${occurred}))) * 1000 + toInt64OrZero(substring(${occurred}, 21, 3))`],
    ['received_ms', 'toInt64(toUnixTimestamp(now())) * 1000'],
    ['user_key', `if(visitParamHas(raw, 'user_id'), ${s('user_id')}, ${s('anonymous_id')})`],
    ['user_id', text('user_id')],
    ['anonymous_id', text('anonymous_id')],
    ['session_id', s('session_id')],
    ['product_id', productField(text('product_id'))],
    ['category', productField(`nullIf(lower(${s('category')}), '')`)],
    ['brand', productField(text('brand'))],
    ['price', productField(num('price', 'toFloat64'))],
    ['currency', `nullIf(upper(${s('currency')}), '')`],
    ['quantity', productField(num('quantity', 'toInt32'))],
    ['search_query', text('query')],
    ['order_id', text('order_id')],
    ['revenue', num('revenue', 'toFloat64')],
    ['page_url', text('page_url')],
    ['referrer', text('referrer')],
    ['user_agent', text('user_agent')],
    ['ip', text('ip')],
    ['locale', text('locale')],
    ['quality_score', 'toFloat64(1)'],
    ['rules_hit', "''"],
    ['rules_version', "'kafka-engine'"],
    ['topic', clickhouseString(topic)],
    ['bus_partition', 'toInt32(0)'],
    ['bus_offset', 'toInt64(0)'],
    ['occurred_at', "toDateTime(intDiv(occurred_ms, 1000), 'UTC')"],
  ];
  return { with: columns.map(([name, expr]) => `  ${expr} AS ${name}`).join(',\n'), columns: columns.map(([name]) => name) };
}

/**
 * The engine side's views on kafka_raw: one into `events`, and one beside it for every
 * materialized view the migrations put on `events` (sink_landed, events_by_time, the rollups),
 * same SELECT with the columns taken from the message. 18.16 does not cascade views (rows a view
 * inserts into `events` do not reach the views on `events`), so this is how B fills the same tables.
 */
export function engineViews(topic: string): string[] {
  const x = extraction(topic);
  const views = [`CREATE MATERIALIZED VIEW kafka_events_mv TO events AS WITH\n${x.with}\nSELECT ${x.columns.join(', ')}\nFROM kafka_raw`];
  const dir = path.resolve(__dirname, '../../sql/clickhouse');
  for (const file of fs.readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f)).sort()) {
    for (const statement of splitStatements(fs.readFileSync(path.join(dir, file), 'utf8'))) {
      const m = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s+SELECT\b([\s\S]*)$/.exec(statement);
      if (!m) continue;
      const [, name, target, body] = m;
      if ((body.match(/\bFROM events\b/g) ?? []).length !== 1) throw new Error(`${file}: view ${name} does not read events once; the engine side cannot mirror it`);
      views.push(`CREATE MATERIALIZED VIEW kafka_${name} TO ${target} AS WITH\n${x.with}\nSELECT${body.replace(/\bFROM events\b/, 'FROM kafka_raw')}`);
    }
  }
  return views;
}

