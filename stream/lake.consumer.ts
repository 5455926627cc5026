import type { Metrics } from '../lib/metrics';
import type { BatchHandler } from './bus';
import type { LakeWriter } from './lake/lake-writer';

/**
 * The offline path's consumer: hands raw events to the lake writer and commits only the
 * offsets whose rows are in finished Parquet files. After a crash the uncommitted rest is
 * read again and written to the same file names.
 */
export function createLakeHandler(writer: LakeWriter, metrics: Metrics): BatchHandler {
  return async (batch) => {
    const stop = metrics.batchSeconds.startTimer({ stage: 'lake' });
    metrics.eventsIn.inc({ stage: 'lake' }, batch.messages.length);
    await writer.add(batch.messages);
    stop();
    return { commit: writer.committable() };
  };
}
