import fs from 'node:fs';

/**
 * A streaming RFC 4180 record splitter: reads text chunk by chunk (memory stays at about one chunk
 * however big the file), handles quoted fields with commas, doubled quotes and line breaks, CRLF
 * and a UTF-8 BOM. Lines without a quote take a fast split; only quoted records walk characters.
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
  /** The record's text without its line break, for error reports and stable ids. */
  raw: string;
  /** Set when the record cannot be split cleanly (an unterminated quote at the end of the file). */
  error?: string;
}

interface Parsed { fields: string[]; end: number; next: number; newlines: number; error?: string }

/** Parses one record at `start`; undefined when the text ends before the record does (need more input). */
function parseRecord(text: string, start: number, eof: boolean): Parsed | undefined {
  const nl = text.indexOf('\n', start);
  if (nl === -1 && !eof) return undefined;
  const lineEnd = nl === -1 ? text.length : nl;
  const segment = text.slice(start, lineEnd);
  if (!segment.includes('"')) {
    const body = segment.endsWith('\r') ? segment.slice(0, -1) : segment;
    return { fields: body.split(','), end: start + body.length, next: nl === -1 ? text.length : nl + 1, newlines: 0 };
  }
  const fields: string[] = [];
  let field = '', quoted = false, newlines = 0, i = start;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') { if (ch === '\n') newlines++; field += ch; continue; }
      if (text[i + 1] === '"') { field += '"'; i++; continue; }
      if (i + 1 === text.length && !eof) return undefined; // the next chunk may start with the second quote
      quoted = false;
    } else if (ch === '"' && field === '' ) {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field); field = '';
    } else if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
      fields.push(field);
      return { fields, end: i, next: ch === '\n' ? i + 1 : i + 2, newlines };
    } else if (ch === '\r' && i + 1 === text.length && !eof) {
      return undefined;
    } else {
      field += ch; // lenient: a stray quote inside an unquoted field is kept as text
    }
  }
  if (!eof) return undefined;
  fields.push(field);
  return { fields, end: i, next: i, newlines, error: quoted ? 'unterminated quoted field' : undefined };
}

export async function* csvRecords(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<CsvRecord> {
  let buf = '';
  let line = 1;
  let first = true;
  const drain = function* (eof: boolean): Generator<CsvRecord> {
    let pos = 0;
    while (pos < buf.length) {
      const rec = parseRecord(buf, pos, eof);
      if (!rec) break;
      yield { fields: rec.fields, line, raw: buf.slice(pos, rec.end), ...(rec.error ? { error: rec.error } : {}) };
      line += 1 + rec.newlines;
      pos = rec.next;
    }
    buf = buf.slice(pos);
  };
  for await (const chunk of chunks) {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (first && buf.length) { if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1); first = false; }
    yield* drain(false);
  }
  yield* drain(true);
}

export function readCsvRecords(file: string): AsyncGenerator<CsvRecord> {
  // setEncoding-style decoding keeps multi-byte characters that straddle chunks intact.
  return csvRecords(fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }));
}
