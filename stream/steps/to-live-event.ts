import type { StorefrontEvent } from '../../contract/events';
import type { LiveEvent } from '../../warehouse/live-store';

export interface Provenance {
  partition: number;
  offset: number;
  receivedAt: number;
}

export interface Quality {
  score: number;
  rulesHit: string[];
  rulesVersion: string;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const number = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Flattens a valid, cleaned event into the live store's row. Pure; never throws on a valid event. */
export function toLiveEvent(e: StorefrontEvent, from: Provenance, quality: Quality): LiveEvent {
  const p = e.properties as Record<string, unknown>;
  const c = e.context ?? {};
  return {
    event_id: e.event_id,
    event_type: e.event_type,
    schema_version: e.schema_version,
    occurred_at: Date.parse(e.occurred_at),
    received_at: from.receivedAt,
    user_key: e.user_id ?? e.anonymous_id!,
    user_id: e.user_id ?? null,
    anonymous_id: e.anonymous_id ?? null,
    session_id: e.session_id,
    product_id: text(p.product_id),
    category: text(p.category),
    brand: text(p.brand),
    price: number(p.price),
    currency: text(p.currency),
    quantity: number(p.quantity),
    search_query: text(p.query),
    order_id: text(p.order_id),
    revenue: number(p.revenue),
    page_url: text(c.page_url),
    referrer: text(c.referrer),
    user_agent: text(c.user_agent),
    ip: text(c.ip),
    locale: text(c.locale),
    quality_score: quality.score,
    rules_hit: quality.rulesHit.join(','),
    rules_version: quality.rulesVersion,
    bus_partition: from.partition,
    bus_offset: from.offset,
  };
}
