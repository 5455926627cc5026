const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A JSON value's text as written, and how many object keys it spells (a repeated key counts twice). */
export interface ValueText {
  text: string;
  keys: number;
}

/**
 * The text of each element of the JSON array starting at `open`, exactly as the client wrote
 * it, so ingest can put each event on the bus untransformed instead of re-serialising it
 * (JSON.stringify was about 5 µs per event, this about 2: bench/floor.bench.ts). `text` must
 * already have parsed as JSON: this only tracks strings and nesting, it does not validate.
 */
export function arrayElements(text: string, open: number): ValueText[] {
  if (text.charCodeAt(open) !== OPEN_ARRAY) throw new RangeError(`no array at ${open}`);
  const out: ValueText[] = [];
  let depth = 0;
  let start = -1;
  let keys = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    if (depth === 1 && start < 0 && c !== COMMA && c !== CLOSE_ARRAY) start = i;
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === COLON) {
      keys++; // outside strings a colon ends exactly one key
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) {
        if (start >= 0) out.push({ text: text.slice(start, i).trimEnd(), keys });
        return out;
      }
    } else if (c === COMMA && depth === 1) {
      out.push({ text: text.slice(start, i).trimEnd(), keys });
      start = -1;
      keys = 0;
    }
  }
  throw new RangeError('unterminated array');
}

/** The keys a single JSON value's text spells, repeated ones included. */
export function keysWritten(text: string): number {
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) i = closingQuote(text, i);
    else if (c === COLON) keys++;
  }
  return keys;
}

/**
 * Object keys in a parsed value. Where the text spells more, a key was repeated: JSON.parse
 * kept the last, DuckDB's json_extract (the lake) reads the first, so such an event must be
 * re-serialised for both paths to see the same event.
 */
export function keysIn(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += keysIn(v);
    return n;
  }
  for (const k in value) n += 1 + keysIn((value as Record<string, unknown>)[k]);
  return n;
}

/** What ingest puts on the bus for a valid event: its text as sent, or re-serialised where that text repeats a key. */
export function busText(sent: ValueText | undefined, event: unknown): string {
  return sent && sent.keys === keysIn(event) ? sent.text : JSON.stringify(event);
}

/** Index of the quote that ends the string opening at `open` (indexOf is native: most of an event is strings). */
function closingQuote(text: string, open: number): number {
  for (let q = text.indexOf('"', open + 1); q > 0; q = text.indexOf('"', q + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  throw new RangeError('unterminated string');
}
