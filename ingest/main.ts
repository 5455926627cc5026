import { openBus, writeKeys } from '../cli/adapters';
import { createEventValidator } from '../contract/validate';
import { topicNames } from '../stream/bus';
import type { Config } from '../lib/config';
import { listen } from '../lib/http-server';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { createIngestApp } from './app';

/** The ingest process: HTTP → bus. Stateless apart from the bus; run as many as needed. */
export async function runIngest(config: Config, logger: Logger) {
  const metrics = createMetrics();
  const bus = await openBus(config, logger);
  const app = createIngestApp({ bus, topics: topicNames(config.topicPrefix), validator: createEventValidator(), writeKeys: writeKeys(config, false), metrics, logger });
  // Ingest has no API server of its own: its metrics are served beside the endpoint.
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });
  const server = await listen(app, config.ingestPort, config.host);
  logger.info({ url: server.url }, 'ingest listening');
  return { url: server.url, stop: async () => { await server.close(); await bus.close(); } };
}
