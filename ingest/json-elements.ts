const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The text of each element of the JSON array starting at `open`, exactly as the client wrote
 * it, so ingest can put each event on the bus untransformed instead of re-serialising it
 * (JSON.stringify was about 6 µs per event, measured in bench/floor.bench.ts). `text` must
 * already have parsed as JSON: this only tracks strings and nesting, it does not validate.
 */
export function arrayElements(text: string, open: number): string[] {
  if (text.charCodeAt(open) !== OPEN_ARRAY) throw new RangeError(`no array at ${open}`);
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) continue;
    if (depth === 1 && start < 0 && c !== COMMA && c !== CLOSE_ARRAY) start = i;
    if (c === QUOTE) {
      i = closingQuote(text, i);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) {
        if (start >= 0) out.push(text.slice(start, i).trimEnd());
        return out;
      }
    } else if (c === COMMA && depth === 1) {
      out.push(text.slice(start, i).trimEnd());
      start = -1;
    }
  }
  throw new RangeError('unterminated array');
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
