/**
 * The live store port: where cleaned events land and the live views are read from.
 * Adapters: warehouse/live-store/duckdb.ts (embedded) and, at scale, ClickHouse.
 * Each passes warehouse/live-store/live-store.contract.ts.
 */

import type { HourReport } from '../stream/quality/quality-report';

export type { HourReport };
export interface WorkerHourReport {
  worker: string;
  report: HourReport;
}

/** A cleaned event as the live store keeps it (flat, typed, one row per event). */
export interface LiveEvent {
  event_id: string;
  event_type: string;
  schema_version: number;
  occurred_at: number; // ms since epoch
  received_at: number; // ms since epoch (bus append time)
  user_key: string; // user_id, else anonymous_id: whom the features belong to
  user_id: string | null;
  anonymous_id: string | null;
  session_id: string;
  product_id: string | null;
  category: string | null;
  brand: string | null;
  price: number | null;
  currency: string | null;
  quantity: number | null;
  search_query: string | null;
  order_id: string | null;
  revenue: number | null;
  page_url: string | null;
  referrer: string | null;
  user_agent: string | null;
  ip: string | null;
  locale: string | null;
  quality_score: number;
  rules_hit: string; // comma-separated rule ids
  rules_version: string;
  bus_partition: number;
  bus_offset: number;
}

/** A rejected event as the DLQ table keeps it. */
export interface DlqEntry {
  stage: string; // ingest | realtime
  reason: string;
  rule: string | null;
  errors: string[];
  event_id: string | null;
  payload: string; // the raw input, verbatim
  failed_at: number;
}

export interface KpiMinute {
  minute: string; // ISO start of the minute
  events: number;
  by_type: Record<string, number>;
  active_users: number;
  active_sessions: number;
  carts: number; // add_to_cart events
  purchases: number;
  revenue: number;
}

export interface KpiReport {
  window: string;
  from: string;
  to: string;
  totals: Omit<KpiMinute, 'minute'> & { conversion: number; cart_sessions: number; purchase_sessions: number };
  minutes: KpiMinute[];
}

export interface TrendingProduct {
  product_id: string;
  category: string | null;
  views: number;
  carts: number;
  purchases: number;
  score: number;
}

export interface UserFeatures {
  user_key: string;
  as_of: string;
  last_viewed_products: { product_id: string; category: string | null; at: string }[];
  last_viewed_categories: { category: string; at: string }[];
  cart: { product_id: string; quantity: number; price: number | null }[];
  counts: Record<'15m' | '1h' | '24h', { events: number; product_views: number; add_to_carts: number; purchases: number; searches: number }>;
  last_purchase: { order_id: string | null; revenue: number | null; currency: string | null; at: string } | null;
  last_seen_at: string | null;
}

/** Next offset already stored, per partition: what makes writes idempotent under redelivery. */
export type Watermarks = Record<number, number>;

export interface LiveStore {
  readonly kind: 'duckdb' | 'clickhouse';
  migrate(): Promise<void>;
  /**
   * Stores events whose (partition, offset) is at or past the stored watermark and moves the
   * watermarks to `next`: a batch delivered twice is stored once.
   */
  write(topic: string, events: LiveEvent[], next: Watermarks): Promise<{ written: number }>;
  writeDlq(entries: DlqEntry[]): Promise<void>;
  /** Appends a worker's data-quality report for an hour (so far, or complete): the newest per worker and hour counts. */
  writeQualityReport(worker: string, report: HourReport, writtenAt: number): Promise<void>;
  /** The newest report of each worker for every hour starting at or after `sinceMs`. */
  qualityReports(sinceMs: number): Promise<WorkerHourReport[]>;
  /** event_ids received since `sinceMs`: seeds duplicate detection after a restart. */
  recentEventIds(sinceMs: number): Promise<string[]>;
  userFeatures(userKey: string, asOf: number, lastN?: number): Promise<UserFeatures>;
  kpis(windowMs: number, asOf: number): Promise<KpiReport>;
  trending(windowMs: number, asOf: number, limit?: number): Promise<TrendingProduct[]>;
  dlq(limit: number, sinceMs?: number): Promise<DlqEntry[]>;
  /** Newest event time and receive time stored, for freshness metrics. */
  freshness(): Promise<{ lastOccurredAt: number | null; lastReceivedAt: number | null; events: number }>;
  deleteOlderThan(cutoffMs: number): Promise<void>;
  close(): Promise<void>;
}
