import { createHash } from 'node:crypto';
import type { StorefrontEvent } from '../../contract/events';
import { readCsvRecords, type CsvRecord } from './csv-records';
import { createTimeShift, type ReplayResult, type ShiftOptions } from './replay-common';

/**
 * Turns a REES46 "eCommerce behavior data" CSV into storefront events, streaming (the full
 * months are several GB). Replaying a file twice gives the same event_ids, so the platform's
 * deduplication makes a repeated replay harmless.
 */
export interface Rees46Options extends ShiftOptions { currency?: string }

const COLUMNS = ['event_time', 'event_type', 'product_id', 'category_id', 'category_code', 'brand', 'price', 'user_id', 'user_session'] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?: ?(?:UTC|Z|\+00:?00))?$/;

/** Epoch ms of a REES46 time ("2019-10-01 00:00:00 UTC"), or undefined when it is not a real UTC time. */
export function parseRees46Time(text: string): number | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2019-02-30 over to March; a round trip catches that.
  return new Date(ms).toISOString().slice(0, 19) === `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` ? ms : undefined;
}

/** RFC 4122 layout with the version nibble 5, from a SHA-1 digest: same input, same id. */
export function uuidFromSha1(input: string): string {
  const h = createHash('sha1').update(input).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Column positions from the header, or the standard order when the file has no header. */
function columnsOf(first: CsvRecord): { index: number[]; width: number; isHeader: boolean } {
  const names = first.fields.map((f) => f.trim().toLowerCase());
  if (!names.includes('event_time') || !names.includes('event_type')) return { index: COLUMNS.map((_, i) => i), width: COLUMNS.length, isHeader: false };
  const missing = COLUMNS.filter((c) => !names.includes(c));
  if (missing.length) throw new Error(`REES46 header lacks column(s) ${missing.join(', ')}: ${first.raw}`);
  return { index: COLUMNS.map((c) => names.indexOf(c)), width: names.length, isHeader: true };
}

/** The file's time range (epoch ms), parsing only event_time: the cheap first pass for `now-end`. */
export async function rees46TimeRange(file: string): Promise<{ start: number; end: number } | undefined> {
  let at: number | undefined, start = Infinity, end = -Infinity;
  for await (const rec of readCsvRecords(file)) {
    if (at === undefined) {
      const c = columnsOf(rec);
      at = c.index[0];
      if (c.isHeader) continue;
    }
    const t = parseRees46Time(rec.fields[at] ?? '');
    if (t !== undefined) { start = Math.min(start, t); end = Math.max(end, t); }
  }
  return end >= start ? { start, end } : undefined;
}

export async function* readRees46Csv(file: string, options: Rees46Options = {}): AsyncGenerator<ReplayResult> {
  const times = createTimeCache(await createTimeShift(options, async () => (await rees46TimeRange(file))?.end));
  const currency = options.currency ?? 'USD';
  let index: number[] | undefined, width = 0;
  for await (const rec of readCsvRecords(file)) {
    if (!index) {
      const c = columnsOf(rec);
      ({ index, width } = c);
      if (c.isHeader) continue;
    }
    if (rec.raw.trim() === '') continue; // a blank line is not a row
    const bad = (reason: string): ReplayResult => ({ ok: false, line: rec.line, reason, raw: rec.raw });
    if (rec.error) { yield bad(rec.error); continue; }
    if (rec.fields.length !== width) { yield bad(`expected ${width} fields, got ${rec.fields.length}`); continue; }
    const row = {} as Row;
    for (let i = 0; i < COLUMNS.length; i++) row[COLUMNS[i]] = rec.fields[index[i]].trim();
    const result = toEvent(row, rec, times, currency);
    yield typeof result === 'string' ? bad(result) : { ok: true, line: rec.line, event: result };
  }
}

type TimeCache = (eventTime: string) => string | undefined;

/** REES46 rows come in time order, many per second: parse and format each distinct second once. */
function createTimeCache(shift: (t: number) => number): TimeCache {
  let lastText: string | undefined, lastIso: string | undefined;
  return (text) => {
    if (text !== lastText) {
      const t = parseRees46Time(text);
      lastText = text;
      lastIso = t === undefined ? undefined : new Date(shift(t)).toISOString();
    }
    return lastIso;
  };
}

/** The event for one row, or the reason there is none. */
function toEvent(row: Row, rec: CsvRecord, times: TimeCache, currency: string): StorefrontEvent | string {
  const occurredAt = times(row.event_time);
  if (occurredAt === undefined) return `unparsable event_time ${JSON.stringify(row.event_time)}`;
  const price = /^-?\d+(\.\d+)?$/.test(row.price) ? Number(row.price) : NaN;
  if (!Number.isFinite(price)) return `unparsable price ${JSON.stringify(row.price)}`;
  if (!row.product_id) return 'empty product_id';
  if (!row.user_id) return 'empty user_id';

  const category = row.category_code || (row.category_id ? `category:${row.category_id}` : undefined);
  const product = { product_id: row.product_id, ...(category ? { category } : {}), ...(row.brand ? { brand: row.brand } : {}), price, currency };
  const envelope = {
    // Line number and the row's text: identical rows on different lines stay distinct events.
    event_id: uuidFromSha1(`distributary:rees46:${rec.line}\n${rec.raw}`),
    schema_version: 1 as const,
    occurred_at: occurredAt,
    user_id: row.user_id,
    // Without a session id, one session per user and (original) day, as measure.ts assumes too.
    session_id: row.user_session || `${row.user_id}-${row.event_time.slice(0, 10)}`,
  };
  switch (row.event_type) {
    case 'view': return { ...envelope, event_type: 'product_view', properties: product };
    case 'cart': return { ...envelope, event_type: 'add_to_cart', properties: { ...product, quantity: 1 } };
    case 'remove_from_cart': return { ...envelope, event_type: 'remove_from_cart', properties: { ...product, quantity: 1 } };
    case 'purchase': {
      const orderKey = `${envelope.session_id}|${row.event_time}|${row.product_id}`;
      const order_id = `rees46-${createHash('sha1').update(orderKey).digest('hex').slice(0, 24)}`;
      const item = { product_id: row.product_id, ...(category ? { category } : {}), price, quantity: 1 };
      return { ...envelope, event_type: 'purchase', properties: { order_id, revenue: price, currency, items: [item] } };
    }
    default: return `unknown event_type ${JSON.stringify(row.event_type)}`;
  }
}
