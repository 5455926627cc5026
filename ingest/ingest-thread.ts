import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Metrics, MetricsSnapshot } from '../lib/metrics';
import { assetPath } from '../lib/package-root';
import type { Bus, Topics } from '../stream/bus';
import { lendBus } from '../stream/bus/thread-bus';
import type { IngestThreadCommand, IngestThreadData } from './thread';

export interface IngestThread {
  url: string;
  /** Stops accepting, waits for open requests (their appends included), ends the thread. */
  close(): Promise<void>;
}

/**
 * Starts the ingest endpoint on its own thread (ingest/thread.ts), lending it `bus` (the
 * local log; on Kafka the thread opens its own producer to the same brokers). In the
 * all-in-one process this gives HTTP and validation the second core while this thread runs
 * the bus, the stream workers and DuckDB. Its metrics join `metrics` (served by the API).
 */
export function startIngestThread(opts: { config: Config; bus: Bus; topics: Topics; writeKeys: string[]; metrics: Metrics; logger: Logger }): Promise<IngestThread> {
  const lent = opts.bus.kind === 'local' ? new MessageChannel() : undefined;
  if (lent) {
    lendBus(opts.bus, lent.port1);
    lent.port1.unref();
  }
  const entry = path.join(__dirname, `thread${path.extname(__filename)}`);
  const data: IngestThreadData = { entry, config: opts.config, writeKeys: opts.writeKeys, topics: opts.topics, busKind: opts.bus.kind, busPort: lent?.port2 };
  // The same young-generation size the process runs with (npm start passes --max-semi-space-size=64).
  const worker = new Worker(assetPath('bin', 'thread.js'), { workerData: data, transferList: lent ? [lent.port2] : [], resourceLimits: { maxYoungGenerationSizeMb: 192 } });
  worker.unref(); // the owner's servers keep the process alive; a failed test must not hang on this thread
  const metricRequests = new Map<number, (s: MetricsSnapshot) => void>();
  let nextId = 0;
  let stopped: (() => void) | undefined;
  opts.metrics.addSource(
    () => new Promise((resolve) => {
      const id = nextId++;
      metricRequests.set(id, resolve);
      worker.postMessage({ type: 'metrics', id } satisfies IngestThreadCommand);
      setTimeout(() => metricRequests.delete(id) && resolve([]), 2000).unref();
    }),
  );
  return new Promise((resolve, reject) => {
    worker.on('message', (m: { type: string; url?: string; id?: number; snapshot?: MetricsSnapshot; message?: string }) => {
      if (m.type === 'listening') {
        resolve({
          url: m.url!,
          close: () => new Promise<void>((done) => {
            stopped = done;
            worker.postMessage({ type: 'stop' } satisfies IngestThreadCommand);
          }),
        });
      } else if (m.type === 'metrics') {
        metricRequests.get(m.id!)?.(m.snapshot!);
        metricRequests.delete(m.id!);
      } else if (m.type === 'failed') {
        reject(new Error(`ingest thread failed to start: ${m.message}`));
      } else if (m.type === 'stopped') {
        lent?.port1.close();
        void worker.terminate().then(() => stopped?.());
      }
    });
    worker.on('error', (err) => {
      opts.logger.error({ err }, 'ingest thread crashed');
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!stopped) opts.logger.error({ code }, 'ingest thread exited');
      stopped?.();
    });
  });
}
