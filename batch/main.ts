import { SingleBar } from 'cli-progress';
import { paths, prepareDataDir } from '../cli/adapters';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createMetrics } from '../lib/metrics';
import { Datamart } from '../warehouse/datamart';
import { loadNewFiles } from './loader';
import { scheduleLoads } from './schedule';

/** `batch`: load new lake files into the datamart once (a bar on a terminal), or on a schedule. */
export async function runBatch(config: Config, logger: Logger, opts: { schedule: boolean }) {
  prepareDataDir(config);
  const p = paths(config);
  const mart = await Datamart.open(p.datamart, { memoryMb: config.duckdbMemoryMb });
  if (opts.schedule) {
    const loads = scheduleLoads({ cronExpression: config.batchCron, lakeRoot: p.lake, mart, logger, metrics: createMetrics() });
    return { kind: 'scheduled' as const, stop: async () => { await loads.stop(); mart.close(); } };
  }
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'loading lake files [{bar}] {value}/{total}' }) : undefined;
  let started = false;
  const report = await loadNewFiles({
    lakeRoot: p.lake, mart, logger,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
  });
  bar?.stop();
  mart.close();
  return { kind: 'once' as const, report };
}
