import { openLiveStore, requireShareable } from '../cli/adapters';
import type { Config } from '../lib/config';
import { listen } from '../lib/http-server';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { createApiApp } from './app';

/** The API process: reads the live store; at scale, run several behind a load balancer. */
export async function runApi(config: Config, logger: Logger) {
  requireShareable(config, 'api', ['store']);
  const store = await openLiveStore(config, logger);
  const server = await listen(createApiApp({ store, metrics: createMetrics(), logger, qualityThresholds: config.qualityAlerts }), config.apiPort, config.host);
  logger.info({ url: server.url }, 'api listening');
  return { url: server.url, stop: async () => { await server.close(); await store.close(); } };
}
