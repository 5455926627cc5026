/**
 * The identity of an event_id for deduplication. The schema accepts a UUID in either case and
 * with or without a `urn:uuid:` prefix (ajv's uuid format); RFC 4122 compares UUIDs without
 * regard to case, so a client retry that spells the same id differently is the same event.
 * Stores keep the id as sent; only the comparison uses this key.
 */
export function dedupKey(eventId: string): string {
  const id = eventId.toLowerCase(); // V8 returns the same string when it is already lower case
  return id.startsWith('urn:uuid:') ? id.slice(9) : id;
}

/** The same key in SQL (DuckDB), for a column or expression holding event ids. */
export const dedupKeySql = (column: string): string => `regexp_replace(lower(${column}), '^urn:uuid:', '')`;
