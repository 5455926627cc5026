import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createEventValidator } from '../../contract/validate';
import { readRees46Csv, type Rees46Options } from './rees46-csv';
import { createTimeShift, type ReplayResult } from './replay-common';

/**
 * One entry point for replaying a file: a REES46 CSV or the platform's own NDJSON (one
 * StorefrontEvent per line, as exported from the lake or captured from ingest). Both yield the
 * same results, so a replay command does not care which it was given.
 */
export type EventFileFormat = 'rees46-csv' | 'ndjson';
export type ReadEventsOptions = Rees46Options & { format?: EventFileFormat };

/** By extension, else by the first non-blank line: a JSON object means NDJSON. */
export async function detectEventFileFormat(file: string): Promise<EventFileFormat> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'rees46-csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  for await (const line of lines(file, 64 * 1024)) {
    if (line.trim()) return line.trimStart().startsWith('{') ? 'ndjson' : 'rees46-csv';
  }
  return 'ndjson';
}

export async function* readEvents(file: string, options: ReadEventsOptions = {}): AsyncGenerator<ReplayResult> {
  const format = options.format ?? (await detectEventFileFormat(file));
  if (format === 'rees46-csv') yield* readRees46Csv(file, options);
  else yield* readNdjsonEvents(file, options);
}

/** Lines of a file; the file is closed when the caller stops early, too. */
async function* lines(file: string, maxBytes?: number): AsyncGenerator<string> {
  const input = fs.createReadStream(file, { encoding: 'utf8', ...(maxBytes ? { end: maxBytes - 1 } : {}) });
  try {
    yield* readline.createInterface({ input, crlfDelay: Infinity });
  } finally {
    input.destroy();
  }
}

/** Epoch ms of the latest occurred_at: the first pass a `now-end` shift needs when not given `fileEnd`. */
export async function ndjsonTimeRange(file: string): Promise<{ start: number; end: number } | undefined> {
  let start = Infinity, end = -Infinity;
  for await (const line of lines(file)) {
    const match = /"occurred_at"\s*:\s*"([^"]+)"/.exec(line);
    const t = match ? Date.parse(match[1]) : NaN;
    if (Number.isFinite(t)) { start = Math.min(start, t); end = Math.max(end, t); }
  }
  return end >= start ? { start, end } : undefined;
}

export async function* readNdjsonEvents(file: string, options: ReadEventsOptions = {}): AsyncGenerator<ReplayResult> {
  const shift = await createTimeShift(options, async () => (await ndjsonTimeRange(file))?.end);
  const validate = createEventValidator();
  let lineNo = 0;
  for await (const raw of lines(file)) {
    lineNo++;
    if (!raw.trim()) continue;
    const bad = (reason: string): ReplayResult => ({ ok: false, line: lineNo, reason, raw });
    let input: unknown;
    try {
      input = JSON.parse(raw);
    } catch (err) {
      yield bad(`invalid JSON: ${(err as Error).message}`);
      continue;
    }
    const checked = validate(input);
    if (!checked.ok) { yield bad(`${checked.reason}: ${checked.errors.join('; ')}`); continue; }
    const event = { ...checked.event };
    event.occurred_at = new Date(shift(Date.parse(event.occurred_at))).toISOString();
    if (event.sent_at) event.sent_at = new Date(shift(Date.parse(event.sent_at))).toISOString();
    yield { ok: true, line: lineNo, event };
  }
}
