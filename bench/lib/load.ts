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

/** Request bodies of `size` generated events, split where each event_id's last 12 hex digits go. */
export function bodyTemplates(count: number, size: number, seed = 7): string[][] {
  const gen = createGenerator({ seed });
  return Array.from({ length: count }, () => {
    const events = gen.batch(size).map((e) => ({ ...e, event_id: `${e.event_id.slice(0, 24)}@@ID@@`, occurred_at: new Date().toISOString() }));
    return JSON.stringify(events).split('@@ID@@');
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
