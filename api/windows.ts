import { HttpError } from '../lib/errors';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "15m", "1h", "90s", "1d" into ms, within [1 minute, 7 days]. */
export function parseWindow(value: unknown, fallback: string): number {
  // A repeated ?window= arrives as an array: refuse it rather than silently answer the default.
  const text = value === undefined || value === '' ? fallback : String(value);
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  const ms = m ? Number(m[1]) * UNITS[m[2]] : NaN;
  if (!m || ms < 60_000 || ms > 7 * 86_400_000) {
    throw new HttpError(400, 'invalid_window', `window=${JSON.stringify(text).slice(0, 40)} must look like 15m, 1h or 1d, between 1m and 7d`);
  }
  return ms;
}

/**
 * ISO 8601 with a four-digit year only: Date.parse alone also takes loose text ("-1" is
 * 2001-01-01) and years up to ±271821, whose window start no Date can hold.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/** `as_of` as an ISO time or epoch ms; default now. Lets clients ask "as of" a past moment. */
export function parseAsOf(value: unknown, now: number): number {
  if (value === undefined || value === '') return now;
  const text = String(value);
  const ms = /^\d{10,14}$/.test(text) ? Number(text) : ISO_TIME.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw new HttpError(400, 'invalid_as_of', 'as_of must be an ISO 8601 time or epoch milliseconds');
  return ms;
}

export function parseLimit(value: unknown, fallback: number, max: number, name = 'limit'): number {
  if (value === undefined || value === '') return fallback;
  // Digits only: Number() would also take '0x10', '1e2' and ' 5', and a repeated ?limit= arrives as an array.
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `invalid_${name}`, `${name} must be an integer from 1 to ${max}`);
  return n;
}
