import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createEventValidator } from '../contract/validate';
import type { Config } from '../lib/config';
import { listen } from '../lib/http-server';
import { createLogger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import type { Bus, Topics } from '../stream/bus';
import { KafkaBus } from '../stream/bus/kafka';
import { ThreadBus } from '../stream/bus/thread-bus';
import { createIngestApp } from './app';

/** What ingest/ingest-thread.ts hands this thread. */
export interface IngestThreadData {
  entry: string;
  config: Config;
  writeKeys: string[];
  topics: Topics;
  busKind: Bus['kind'];
  /** The owner's local log, lent (undefined on Kafka: the thread has its own producer). */
  busPort?: MessagePort;
}

export type IngestThreadCommand = { type: 'metrics'; id: number } | { type: 'stop' };

/**
 * The ingest endpoint inside a worker thread: HTTP parsing, JSON parsing, validation and
 * re-serialising run here, off the thread that owns the bus and the stream workers. On the
 * local log, appends go through the owner's bus (ThreadBus: the log has one writer); on Kafka
 * the thread has its own producer, so the record encoding runs here too. Either way a 202
 * means durably appended.
 */
async function main() {
  const data = workerData as IngestThreadData;
  const { config } = data;
  const logger = createLogger(config.logLevel).child({ thread: 'ingest' });
  const metrics = createMetrics({ processMetrics: false });
  const bus: Bus = data.busPort ? new ThreadBus(data.busPort, data.busKind) : new KafkaBus({ brokers: config.kafkaBrokers, logger });
  const app = createIngestApp({ bus, topics: data.topics, validator: createEventValidator(), writeKeys: data.writeKeys, metrics, logger });
  const server = await listen(app, config.ingestPort, config.host);
  parentPort!.on('message', (cmd: IngestThreadCommand) => {
    if (cmd.type === 'metrics') {
      metrics.registry.getMetricsAsJSON().then((snapshot) => parentPort!.postMessage({ type: 'metrics', id: cmd.id, snapshot }));
    } else if (cmd.type === 'stop') {
      server.close().then(async () => {
        await bus.close();
        parentPort!.postMessage({ type: 'stopped' });
        parentPort!.close();
      });
    }
  });
  parentPort!.postMessage({ type: 'listening', url: server.url });
}

main().catch((err: unknown) => {
  parentPort!.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
});
