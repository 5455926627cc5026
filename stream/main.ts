import { openBus, openLiveStore, paths, requireShareable } from '../cli/adapters';
import type { Config } from '../lib/config';
import { listen } from '../lib/http-server';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import express from 'express';
import { startDlqWorker, startLakeWorker, startRealtimeWorker, type Worker } from './workers';

/** `stream realtime` (events.raw → live store, plus the DLQ sink) or `stream lake` (events.raw → Parquet). */
export async function runStream(path: 'realtime' | 'lake', config: Config, logger: Logger, metricsPort?: number) {
  const metrics = createMetrics();
  let workers: Worker[];
  let close: () => Promise<void>;
  if (path === 'realtime') {
    requireShareable(config, 'stream realtime', ['bus']); // it appends to events.dlq
    const bus = await openBus(config, logger);
    const store = await openLiveStore(config, logger);
    workers = [await startRealtimeWorker({ config, bus, metrics, logger, store }), startDlqWorker({ config, bus, metrics, logger, store })];
    close = async () => { await store.close(); await bus.close(); };
  } else {
    // The lake only reads the bus, so beside a local-log `start` or `ingest` it opens it read-only.
    const bus = await openBus(config, logger, { readOnly: config.bus === 'local' });
    workers = [await startLakeWorker({ config, bus, metrics, logger, lakeRoot: paths(config).lake })];
    close = () => bus.close();
  }
  const app = express();
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  const server = metricsPort === undefined ? undefined : await listen(app, metricsPort, config.host);
  return {
    stop: async () => {
      for (const w of workers) await w.stop();
      await server?.close();
      await close();
    },
  };
}
