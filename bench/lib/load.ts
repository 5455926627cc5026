import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createGenerator } from '../../ingest/generator/generator';

export interface LoadResult {
  accepted: number;
  failed: number;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
}

/**
 * Request bodies of `size` generated events, with gaps the load client fills per request:
 * each event_id's last 12 hex digits, and a suffix of each session_id. Fresh ids keep every
 * event new to dedup; fresh sessions keep a body replayed every few seconds from looking like
 * one inhumanly fast session to the behavioural bot rules (which would send most of the load
 * to the DLQ instead of the live store).
 */
export function bodyTemplates(count: number, size: number, seed = 7): string[][] {
  const gen = createGenerator({ seed });
  return Array.from({ length: count }, () => {
    const events = gen.batch(size).map((e) => ({ ...e, event_id: `${e.event_id.slice(0, 24)}@@ID@@`, session_id: `${e.session_id}-@@SESSION@@` }));
    return JSON.stringify(events).split(/(?=@@(?:ID|SESSION)@@)/).map((part, i) => (i === 0 ? part : part.replace(/^@@(ID|SESSION)@@/, (_m, kind: string) => (kind === 'ID' ? '\u0001' : '\u0002'))));
  });
}

let counterBase = 1;

export function runLoad(opts: { url: string; key: string; seconds: number; concurrency: number; rate?: number; templates: string[][]; eventsPerBody: number }): Promise<LoadResult> {
  const startCounter = counterBase;
  counterBase += 1e10; // every run writes ids no earlier run used
  return new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'load-client.js'), { workerData: { ...opts, rate: opts.rate ?? 0, startCounter } });
    w.once('message', (m: LoadResult) => resolve(m));
    w.once('error', reject);
  });
}
