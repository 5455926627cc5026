/**
 * The one place user values become SQL text. The live views are compiled to full SQL for
 * both DuckDB and ClickHouse (ClickHouse 18.16 has no query parameters), so every value
 * from a request passes through here.
 */

/**
 * DuckDB / standard SQL: only the quote is special; backslashes are literal. A NUL cannot
 * stand inside a DuckDB literal, so it is spliced in with chr(0).
 */
export function duckString(value: string): string {
  assertText(value);
  return value.split('\0').map((part) => `'${part.replace(/'/g, "''")}'`).join(' || chr(0) || ');
}

/** ClickHouse: backslash escapes are interpreted, so escape backslash first, then quotes and control characters. */
export function clickhouseString(value: string): string {
  assertText(value);
  return `'${value.replace(/[\\'\0\n\r\t\b\f]/g, (c) => CH_ESCAPES[c])}'`;
}

const CH_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A finite number as SQL text; anything else is a programming error, not data to quote. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  return String(value);
}

function assertText(value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`SQL string literal needs a string, got ${typeof value}`);
}
