import { topicNames } from '../stream/bus';
import { createApiApp } from '../api/app';
import { scheduleLoads } from '../batch/schedule';
import { startIngestThread } from '../ingest/ingest-thread';
import { createIngestClient } from '../ingest/client';
import { concurrencyFor, createGenerator } from '../ingest/generator/generator';
import { runPaced } from '../ingest/generator/pace';
import type { Config } from '../lib/config';
import { listen } from '../lib/http-server';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { startDlqWorker, startLakeWorker, startRealtimeWorker } from '../stream/workers';
import { Datamart } from '../warehouse/datamart';
import { openBus, openLiveStore, paths, writeKeys } from './adapters';

/**
 * The whole platform in one process: ingest, both stream paths, the DLQ sink, the scheduled
 * datamart load, the API, and a demo generator posting through the real ingest endpoint.
 * Returns a stop() that flushes the lake, commits offsets and closes every store.
 */
export async function startAll(config: Config, logger: Logger, opts: { print?: (line: string) => void } = {}) {
  const metrics = createMetrics();
  const keys = writeKeys(config, true);
  const p = paths(config);
  const bus = await openBus(config, logger);
  const store = await openLiveStore(config, logger);
  const mart = await Datamart.open(p.datamart, { memoryMb: config.duckdbMemoryMb });
  const common = { config, bus, metrics, logger };
  const workers = [await startRealtimeWorker({ ...common, store }), await startLakeWorker({ ...common, lakeRoot: p.lake }), startDlqWorker({ ...common, store })];
  const loads = scheduleLoads({ cronExpression: config.batchCron, lakeRoot: p.lake, mart, logger, metrics });

  // Ingest gets its own thread (the second core): this one runs the bus, the stream workers and DuckDB.
  const ingest = await startIngestThread({ config, bus, topics: topicNames(config.topicPrefix), writeKeys: keys, metrics, logger });
  const readiness = async () => {
    const problems: string[] = [];
    for (const w of workers) {
      const lag = await w.consumer.lag();
      if (lag > 100_000) problems.push(`${w.name} lags ${lag} messages`);
    }
    return problems;
  };
  const api = await listen(createApiApp({ store, metrics, logger, readiness, qualityThresholds: config.qualityAlerts }), config.apiPort, config.host);

  const generatorStop = new AbortController();
  let generating: Promise<unknown> = Promise.resolve();
  if (config.generatorRate > 0) {
    const gen = createGenerator({ seed: Date.now(), concurrency: concurrencyFor(config.generatorRate) });
    const send = createIngestClient({ url: ingest.url, key: keys[0] });
    generating = runPaced({
      rate: config.generatorRate,
      batchSize: Math.max(1, Math.min(500, Math.round(config.generatorRate / 4))),
      produce: (n) => gen.batch(n),
      send: async (events) => void (await send(events)),
      signal: generatorStop.signal,
      onError: (err) => logger.warn({ err }, 'generator batch failed'),
    });
  }

  const print = opts.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  print('');
  print('Distributary is running (embedded: local log bus, DuckDB live store, Parquet lake, DuckDB datamart)');
  print(`  ingest     POST ${ingest.url}/v1/events   (Authorization: Bearer ${keys[0]})`);
  print(`  features   ${api.url}/v1/users/<user_id>/features`);
  print(`  live KPIs  ${api.url}/v1/live/kpis?window=15m`);
  print(`  trending   ${api.url}/v1/live/trending?window=1h`);
  print(`  dashboard  ${api.url}/dashboards/`);
  print(`  metrics    ${api.url}/metrics    openapi ${api.url}/openapi.json`);
  print(`  data       ${config.dataDir}  (lake: ${p.lake}, datamart: ${p.datamart})`);
  print(`  generator  ${config.generatorRate} events/s (DISTRIBUTARY_GENERATOR_RATE)`);
  print('Ctrl-C flushes the lake, commits offsets and exits.');
  print('');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      generatorStop.abort();
      await generating;
      await ingest.close();
      for (const w of workers) await w.stop();
      await loads.stop();
      await loads.runNow();
      await api.close();
      await store.close();
      mart.close();
      await bus.close();
      logger.info('stopped cleanly');
    })());
  return { stop, ingestUrl: ingest.url, apiUrl: api.url, key: keys[0], bus, store, mart, metrics, runLoad: loads.runNow };
}
