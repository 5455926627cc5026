import { duckString } from '../../lib/sql-literal';
import type { LiveEvent } from '../live-store';

/**
 * Rows reach DuckDB as a tab-separated spill file read by its CSV reader inside the INSERT:
 * the parsing runs on DuckDB's threads, where the row appender costs a native call per value
 * on the JavaScript thread (measured: about 8 µs per 28-column row, the largest single cost
 * of the real-time path). A field is quoted when it could be misread: tab, newline, quote,
 * empty (vs NULL, written \N), a literal \N, or edge spaces.
 */
const NEEDS_QUOTES = /[\t\n\r"]/;
const text = (v: string | null): string =>
  v === null ? '\\N' : v === '' || v === '\\N' || NEEDS_QUOTES.test(v) || v.charCodeAt(0) === 32 || v.charCodeAt(v.length - 1) === 32 ? `"${v.replaceAll('"', '""')}"` : v;
const num = (v: number | null): string => (v === null ? '\\N' : String(v));

/** One events row in the column order of sql/duckdb/live/001_events.sql (times as epoch ms). */
export const spillLine = (e: LiveEvent): string =>
  `${text(e.event_id)}\t${text(e.event_type)}\t${e.schema_version}\t${Math.trunc(e.occurred_at)}\t${Math.trunc(e.received_at)}\t${text(e.user_key)}\t${text(e.user_id)}\t${text(e.anonymous_id)}\t${text(e.session_id)}\t` +
  `${text(e.product_id)}\t${text(e.category)}\t${text(e.brand)}\t${num(e.price)}\t${text(e.currency)}\t${num(e.quantity)}\t${text(e.search_query)}\t${text(e.order_id)}\t${num(e.revenue)}\t` +
  `${text(e.page_url)}\t${text(e.referrer)}\t${text(e.user_agent)}\t${text(e.ip)}\t${text(e.locale)}\t${e.quality_score}\t${text(e.rules_hit)}\t${text(e.rules_version)}\t${e.bus_partition}\t${e.bus_offset}\n`;

const SPILL_COLUMNS = `{'event_id': 'VARCHAR', 'event_type': 'VARCHAR', 'schema_version': 'INTEGER', 'occurred_ms': 'BIGINT', 'received_ms': 'BIGINT',
  'user_key': 'VARCHAR', 'user_id': 'VARCHAR', 'anonymous_id': 'VARCHAR', 'session_id': 'VARCHAR', 'product_id': 'VARCHAR', 'category': 'VARCHAR',
  'brand': 'VARCHAR', 'price': 'DOUBLE', 'currency': 'VARCHAR', 'quantity': 'INTEGER', 'search_query': 'VARCHAR', 'order_id': 'VARCHAR',
  'revenue': 'DOUBLE', 'page_url': 'VARCHAR', 'referrer': 'VARCHAR', 'user_agent': 'VARCHAR', 'ip': 'VARCHAR', 'locale': 'VARCHAR',
  'quality_score': 'DOUBLE', 'rules_hit': 'VARCHAR', 'rules_version': 'VARCHAR', 'bus_partition': 'INTEGER', 'bus_offset': 'BIGINT'}`;

export const insertFromSpill = (file: string) => `INSERT INTO events
  SELECT event_id, event_type, schema_version, epoch_ms(occurred_ms)::TIMESTAMP_MS, epoch_ms(received_ms)::TIMESTAMP_MS, user_key, user_id,
    anonymous_id, session_id, product_id, category, brand, price, currency, quantity, search_query, order_id, revenue, page_url, referrer,
    user_agent, ip, locale, quality_score, rules_hit, rules_version, bus_partition, bus_offset
  FROM read_csv(${duckString(file)}, delim = '\t', quote = '"', escape = '"', header = false, auto_detect = false, nullstr = '\\N',
    allow_quoted_nulls = false, strict_mode = true, columns = ${SPILL_COLUMNS})`;
