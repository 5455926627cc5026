import fs from 'node:fs';
import path from 'node:path';
import type { StorefrontEvent } from '../../contract/events';

/**
 * What every replay reader yields: an event, or a row it could not turn into one. Bad rows are
 * reported, never dropped, so that a replay can say exactly what it did not send and why.
 */
export type ReplayResult =
  | { ok: true; line: number; event: StorefrontEvent }
  | { ok: false; line: number; reason: string; raw: string };

export type ShiftTo = 'now-end' | 'now-start' | 'none';

export interface ShiftOptions {
  /**
   * `now-end`: the file's last event lands at `now` (history that ends now). Needs the file's
   * latest time: pass `fileEnd`, or the reader makes a cheap first pass over the file to find it.
   * `now-start`: the first event lands at `now` (for paced replays); the anchor is `fileStart`,
   * or else the first good row's time. `none` (default): times as in the file.
   */
  shiftTo?: ShiftTo;
  /** Epoch ms; default Date.now() when the read starts. */
  now?: number;
  /** Epoch ms of the file's earliest event (anchor for `now-start`). */
  fileStart?: number;
  /** Epoch ms of the file's latest event (anchor for `now-end`). */
  fileEnd?: number;
}

/** Returns the function that maps a file time (epoch ms) to the replayed time. */
export async function createTimeShift(options: ShiftOptions, findEnd: () => Promise<number | undefined>): Promise<(t: number) => number> {
  const mode = options.shiftTo ?? 'none';
  if (mode === 'none') return (t) => t;
  const now = options.now ?? Date.now();
  if (mode === 'now-end') {
    const end = options.fileEnd ?? (await findEnd());
    const offset = end === undefined ? 0 : now - end;
    return (t) => t + offset;
  }
  let offset = options.fileStart === undefined ? undefined : now - options.fileStart;
  return (t) => {
    offset ??= now - t;
    return t + offset;
  };
}

/**
 * Where the shared sample datasets live: beside the repository (`<repo>/../shared/datasets`),
 * never inside it. Nothing in the product needs them; tests and the measuring script do.
 */
export const SHARED_DATASETS_DIR = path.resolve(__dirname, '../../../shared/datasets');
export const REES46_SAMPLE_PATH = path.join(SHARED_DATASETS_DIR, 'rees46/rees46_2019-Oct_head.csv');

/**
 * For tests: true when the file is there. In CI a missing file is an error (a silently skipped
 * suite would hide that the data went missing); elsewhere the caller may skip, and the reason is
 * printed so that a local green run does not pretend the real-data checks ran.
 */
export function datasetAvailable(file: string, opts: { ci: boolean }): boolean {
  if (fs.existsSync(file)) return true;
  if (opts.ci) throw new Error(`dataset missing in CI: ${file} (expected the shared datasets beside the repository)`);
  console.warn(`skipping real-data tests: dataset not found at ${file}`);
  return false;
}
