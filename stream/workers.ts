import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { dedupKey } from '../contract/event-id';
import { createEventValidator } from '../contract/validate';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { LiveStore } from '../warehouse/live-store';
import { topicNames, type BatchHandler, type Bus, type BusConsumer } from './bus';
import { createDlqSinkHandler } from './dlq';
import { createLakeHandler } from './lake.consumer';
import { LakeWriter } from './lake/lake-writer';
import { createQualityPublisher } from './quality/publish-quality';
import { createQualityReport, type HourReport } from './quality/quality-report';
import { createRealtimeHandler } from './realtime.consumer';
import { createApplyRulesStep } from './rules/apply-rules.step';
import { watchRuleSet } from './rules/rules-reloader';
import { SeenIds } from './steps/seen-ids';

export interface Worker {
  name: string;
  consumer: BusConsumer;
  stop(): Promise<void>;
}

interface Common {
  config: Config;
  bus: Bus;
  metrics: Metrics;
  logger: Logger;
}

/** Runs a consumer group with a handler, publishing its lag, until stopped. */
function runGroup(c: Common, name: string, topic: string, handler: BatchHandler, extra: { timers?: NodeJS.Timeout[]; beforeStop?: () => Promise<void>; onStop?: () => Promise<void>; maxBatchSize?: number } = {}): Worker {
  const group = `${c.config.topicPrefix}${name}`;
  const consumer = c.bus.consumer({ group, topic, fromBeginning: true, maxBatchSize: extra.maxBatchSize ?? 5000 });
  const log = c.logger.child({ worker: group });
  const running = consumer.run(handler, (err) => log.error({ err }, 'batch failed; it will be delivered again'));
  const lagTimer = setInterval(() => {
    consumer.lag().then((lag) => c.metrics.lag.set({ group }, lag), (err: unknown) => log.warn({ err }, 'lag unavailable'));
  }, 5000).unref();
  log.info({ topic }, 'consumer started');
  return {
    name: group,
    consumer,
    stop: async () => {
      clearInterval(lagTimer);
      for (const t of extra.timers ?? []) clearInterval(t);
      await extra.beforeStop?.();
      await consumer.stop();
      await running;
      await extra.onStop?.();
      log.info('consumer stopped');
    },
  };
}

/** Real-time path: events.raw → rules → live store (and events.dlq), with the hourly data-quality report. */
export async function startRealtimeWorker(c: Common & { store: LiveStore }): Promise<Worker> {
  const rules = watchRuleSet({ dir: c.config.rulesDir, params: { late_horizon_ms: c.config.lateEventMs }, intervalMs: c.config.rulesReloadMs, logger: c.logger, registry: c.metrics.registry });
  // Each worker stores its own view of an hour (its partitions); the API merges the workers.
  const self = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const writes = new Set<Promise<void>>();
  const persist = (report: HourReport) => {
    const write = c.store.writeQualityReport(self, report, Date.now()).catch((err: unknown) => c.logger.warn({ err }, 'quality report not stored'));
    writes.add(write);
    void write.finally(() => writes.delete(write));
  };
  const publish = createQualityPublisher(c.metrics, c.logger);
  const quality = createQualityReport({ categoryOf: (id) => rules.current().categoryOf(id), thresholds: c.config.qualityAlerts, onReport: (r) => { publish(r); persist(r); } });
  const clean = createApplyRulesStep({ rules: rules.current, threshold: c.config.qualityThreshold });
  const seen = new SeenIds(c.config.dedupWindowMs);
  const now = Date.now();
  seen.add((await c.store.recentEventIds(now - c.config.dedupWindowMs)).map(dedupKey), now);
  const handler = createRealtimeHandler({ bus: c.bus, store: c.store, validator: createEventValidator(), seen, metrics: c.metrics, logger: c.logger, topics: topicNames(c.config.topicPrefix), clean, quality });
  const retention = setInterval(() => {
    c.store.deleteOlderThan(Date.now() - c.config.liveRetentionMs).catch((err: unknown) => c.logger.warn({ err }, 'live retention failed'));
  }, 3_600_000).unref();
  // Every minute: close the hour if it is over, and store the hour so far for GET /v1/quality.
  const minutely = setInterval(() => {
    quality.tick(Date.now());
    const soFar = quality.snapshot();
    if (soFar) persist(soFar);
  }, 60_000).unref();
  return runGroup(c, 'realtime', topicNames(c.config.topicPrefix).raw, handler, {
    // A store write has a large fixed cost (a ClickHouse insert through the views: tens of ms
    // of its CPU; a DuckDB transaction and WAL sync), so a backlog goes in big batches. Measured
    // on ClickHouse: 5,000 → 50,000 cut its CPU per row about 7× and doubled the worker's rate.
    // When caught up, batches are whatever arrived meanwhile, so latency does not suffer.
    maxBatchSize: 50_000,
    timers: [retention, minutely],
    onStop: async () => {
      rules.stop();
      quality.flush();
      await Promise.all(writes);
    },
  });
}

/** Offline path: events.raw → Parquet lake. */
export async function startLakeWorker(c: Common & { lakeRoot: string }): Promise<Worker> {
  const writer = await LakeWriter.open({
    root: c.lakeRoot,
    rollRows: c.config.lakeRollRows,
    rollMs: c.config.lakeRollMs,
    onFile: (file, rows) => {
      c.metrics.lakeFiles.inc();
      c.metrics.eventsOut.inc({ stage: 'lake', outcome: 'written' }, rows);
      c.logger.info({ file, rows }, 'lake file written');
    },
  });
  let worker: Worker | undefined;
  // Rolls by age while no batch arrives, then commits what the new files made durable.
  const ticker = setInterval(() => {
    writer.tick()
      .then((files) => (files.length > 0 ? worker?.consumer.commit(writer.committable()) : undefined))
      .catch((err: unknown) => c.logger.error({ err }, 'lake roll failed'));
  }, Math.min(1000, c.config.lakeRollMs)).unref();
  worker = runGroup(c, 'lake', topicNames(c.config.topicPrefix).raw, createLakeHandler(writer, c.metrics), {
    timers: [ticker],
    // Flush and commit while still a member; whatever arrives after is flushed by close() and
    // skipped as already covered when the group resumes.
    beforeStop: async () => {
      await writer.roll();
      await worker?.consumer.commit(writer.committable());
    },
    onStop: () => writer.close(),
  });
  return worker;
}

/** Keeps the DLQ queryable: events.dlq → the live store's dlq table. */
export function startDlqWorker(c: Common & { store: LiveStore }): Worker {
  return runGroup(c, 'dlq-store', topicNames(c.config.topicPrefix).dlq, createDlqSinkHandler(c.store));
}
