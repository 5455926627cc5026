import { SingleBar } from 'cli-progress';
import fs from 'node:fs';
import { createIngestClient } from '../ingest/client';
import { readEvents, type EventFileFormat } from '../ingest/replay/read-events';
import type { ShiftTo } from '../ingest/replay/replay-common';
import type { Logger } from '../lib/logger';

export interface ReplayOptions {
  url: string;
  key: string;
  format?: EventFileFormat;
  shift: ShiftTo;
  batchSize: number;
}

/**
 * Replays a file (a REES46 CSV or NDJSON of events) through the ingest endpoint, shifted to
 * the present. Rows that cannot become events are counted and logged, never silently lost;
 * events the server rejects are reported with their reasons (they are in the DLQ).
 */
export async function replayFile(file: string, opts: ReplayOptions, logger: Logger) {
  const send = createIngestClient({ url: opts.url, key: opts.key });
  const size = fs.statSync(file).size;
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'replay [{bar}] {percentage}% | {value} events' }) : undefined;
  bar?.start(size, 0);
  const totals = { read: 0, accepted: 0, rejected: 0, unreadable: 0 };
  let batch: unknown[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await send(batch);
    totals.accepted += r.accepted;
    totals.rejected += r.rejected.length;
    for (const x of r.rejected.slice(0, 3)) logger.warn({ event_id: x.event_id, errors: x.errors }, 'event rejected by ingest (kept in the DLQ)');
    batch = [];
    if (bar) bar.update(Math.min(size, bytes), { value: totals.read });
    else if (totals.read % 50_000 < opts.batchSize) logger.info({ step: 'replay', ...totals }, 'replay progress');
  };
  for await (const row of readEvents(file, { format: opts.format, shiftTo: opts.shift })) {
    if (!row.ok) {
      totals.unreadable++;
      if (totals.unreadable <= 5) logger.warn({ line: row.line, reason: row.reason, raw: row.raw.slice(0, 200) }, 'row could not be read as an event');
      continue;
    }
    totals.read++;
    bytes += JSON.stringify(row.event).length * 0.5; // rough position for the bar; CSV rows are about half the JSON size
    batch.push(row.event);
    if (batch.length >= opts.batchSize) await flush();
  }
  await flush();
  bar?.update(size);
  bar?.stop();
  logger.info({ step: 'replay_done', file, ...totals }, 'replay finished');
  return totals;
}
