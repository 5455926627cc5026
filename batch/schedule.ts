import cron from 'node-cron';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { Datamart } from '../warehouse/datamart';
import { loadNewFiles } from './loader';

/**
 * Runs the datamart load on a node-cron schedule. A run that is still going when the next
 * one is due is not started twice (the manifest would make it harmless, but it wastes work).
 */
export function scheduleLoads(deps: { cronExpression: string; lakeRoot: string; mart: Datamart; logger: Logger; metrics: Metrics }): { stop(): Promise<void>; runNow(): Promise<void> } {
  if (!cron.validate(deps.cronExpression)) {
    throw new ConfigError(`DISTRIBUTARY_BATCH_CRON=${JSON.stringify(deps.cronExpression)} is invalid: not a cron expression (5 or 6 fields)`);
  }
  let running: Promise<void> | undefined;
  const runNow = () => {
    running ??= loadNewFiles({ lakeRoot: deps.lakeRoot, mart: deps.mart, logger: deps.logger.child({ job: 'datamart-load' }), metrics: deps.metrics })
      .then(() => undefined, (err: unknown) => deps.logger.error({ err }, 'datamart load failed; it runs again on schedule'))
      .finally(() => (running = undefined));
    return running;
  };
  const task = cron.schedule(deps.cronExpression, () => void runNow(), { noOverlap: true });
  return {
    runNow,
    stop: async () => {
      await task.stop();
      await running;
    },
  };
}
