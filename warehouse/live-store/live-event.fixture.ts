import { randomUUID } from 'node:crypto';
import type { LiveEvent } from '../live-store';

let offset = 0;

/** A cleaned event with sensible defaults; tests override what they care about. */
export function liveEvent(over: Partial<LiveEvent> = {}): LiveEvent {
  return {
    event_id: randomUUID(),
    event_type: 'product_view',
    schema_version: 1,
    occurred_at: Date.UTC(2026, 10, 23, 10, 0, 0),
    received_at: Date.UTC(2026, 10, 23, 10, 0, 1),
    user_key: 'u1',
    user_id: 'u1',
    anonymous_id: null,
    session_id: 's1',
    product_id: 'p1',
    category: 'electronics.smartphone',
    brand: null,
    price: 100,
    currency: 'USD',
    quantity: null,
    search_query: null,
    order_id: null,
    revenue: null,
    page_url: null,
    referrer: null,
    user_agent: null,
    ip: null,
    locale: null,
    quality_score: 1,
    rules_hit: '',
    rules_version: 'test',
    bus_partition: 0,
    bus_offset: offset++,
    ...over,
  };
}
