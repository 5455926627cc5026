import type { DlqEntry, HourReport, LiveEvent } from '../live-store';

/**
 * How the ClickHouse live store encodes what it writes as JSONEachRow rows: events (with the bus
 * position that makes writes exactly once), DLQ entries and quality reports. Times are epoch ms.
 */

/** Columns of `events` a write sends (sql/clickhouse/001_events.sql; occurred_at is MATERIALIZED). */
export const EVENT_COLUMNS = [
  'event_id', 'event_type', 'schema_version', 'occurred_ms', 'received_ms', 'user_key', 'user_id', 'anonymous_id', 'session_id',
  'product_id', 'category', 'brand', 'price', 'currency', 'quantity', 'search_query', 'order_id', 'revenue', 'page_url', 'referrer',
  'user_agent', 'ip', 'locale', 'quality_score', 'rules_hit', 'rules_version', 'topic', 'bus_partition', 'bus_offset',
] as const;
export type EventRow = Record<(typeof EVENT_COLUMNS)[number], unknown>;

/** One row of `events` for an event read from `topic`. */
export const toRow = (topic: string, e: LiveEvent): EventRow => ({
  event_id: e.event_id,
  event_type: e.event_type,
  schema_version: e.schema_version,
  occurred_ms: Math.trunc(e.occurred_at),
  received_ms: Math.trunc(e.received_at),
  user_key: e.user_key,
  user_id: e.user_id,
  anonymous_id: e.anonymous_id,
  session_id: e.session_id,
  product_id: e.product_id,
  category: e.category,
  brand: e.brand,
  price: e.price,
  currency: e.currency,
  quantity: e.quantity,
  search_query: e.search_query,
  order_id: e.order_id,
  revenue: e.revenue,
  page_url: e.page_url,
  referrer: e.referrer,
  user_agent: e.user_agent,
  ip: e.ip,
  locale: e.locale,
  quality_score: e.quality_score,
  rules_hit: e.rules_hit,
  rules_version: e.rules_version,
  topic,
  bus_partition: e.bus_partition,
  bus_offset: e.bus_offset,
});

/** One row of `dlq`: the rejected payload verbatim, its errors as a JSON array. */
export const dlqRow = (e: DlqEntry): Record<string, unknown> => ({
  stage: e.stage, reason: e.reason, rule: e.rule, errors: JSON.stringify(e.errors), event_id: e.event_id, payload: e.payload, failed_ms: Math.trunc(e.failed_at),
});

/** One row of `quality_reports`: the report as JSON, keyed by its hour and worker. */
export const qualityReportRow = (worker: string, report: HourReport, writtenAt: number): Record<string, unknown> => (
  { hour_ms: Date.parse(report.hour), worker, written_ms: Math.trunc(writtenAt), report: JSON.stringify(report) }
);
