import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import { listLakeFiles } from '../stream/lake/lake-files';
import type { Datamart } from '../warehouse/datamart';

export interface LoadReport {
  files: number;
  rows: number;
  skipped: number;
  failed: number;
  ms: number;
}

/**
 * Bulk-loads lake files the manifest has not seen, in chunks (one transaction each), oldest
 * first. Files are keyed by their path relative to the lake root, so moving the lake keeps
 * the manifest valid. Reports progress per chunk.
 */
export async function loadNewFiles(deps: {
  lakeRoot: string;
  mart: Datamart;
  logger: Logger;
  metrics?: Metrics;
  chunkFiles?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<LoadReport> {
  const started = Date.now();
  const loaded = await deps.mart.loadedFiles();
  const failedBefore = await deps.mart.failedFiles();
  const all = listLakeFiles(deps.lakeRoot).map((p) => ({ path: p, key: path.relative(deps.lakeRoot, p), bytes: fs.statSync(p).size }));
  const fresh = all.filter((f) => !loaded.has(f.key) && failedBefore.get(f.key) !== f.bytes);
  const chunk = deps.chunkFiles ?? 200;
  let rows = 0;
  let failed = 0;
  for (let i = 0; i < fresh.length; i += chunk) {
    const part = fresh.slice(i, i + chunk);
    try {
      rows += await deps.mart.loadFiles(part);
    } catch {
      // One unreadable file must not hold back the good ones: retry the chunk file by file.
      for (const file of part) {
        try {
          rows += await deps.mart.loadFiles([file]);
        } catch (err) {
          failed++;
          await deps.mart.recordFailure(file, (err as Error).message);
          deps.logger.error({ step: 'load_file_failed', file: file.key, err }, 'lake file could not be loaded; recorded in load_errors');
        }
      }
    }
    deps.onProgress?.(Math.min(i + chunk, fresh.length), fresh.length);
    deps.logger.info({ step: 'load_chunk', files: part.length, done: Math.min(i + chunk, fresh.length), total: fresh.length }, 'datamart load progress');
  }
  deps.metrics?.datamartRows.inc(rows);
  const report = { files: fresh.length - failed, rows, skipped: all.length - fresh.length, failed, ms: Date.now() - started };
  deps.logger.info({ step: 'load_done', ...report }, 'datamart load finished');
  return report;
}
