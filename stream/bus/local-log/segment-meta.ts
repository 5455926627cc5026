import fs from 'node:fs';
import path from 'node:path';
import { PartitionReader } from './segment-reader';

/**
 * What a closed segment's `<base>.meta.json` records: where the segment ends and how new its
 * newest record is, so retention and replay-from-a-time skip whole segments unread. Written
 * by the partition writer when a segment rolls (atomically: temp file, then rename).
 */
export interface SegmentMeta {
  nextOffset: number;
  maxTimestamp: number;
}

export function metaPath(dir: string, base: number): string {
  return path.join(dir, `${String(base).padStart(20, '0')}.meta.json`);
}

export function readMeta(dir: string, base: number): SegmentMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(metaPath(dir, base), 'utf8')) as SegmentMeta;
  } catch {
    return undefined;
  }
}

export function writeMeta(dir: string, base: number, meta: SegmentMeta): void {
  const tmp = `${metaPath(dir, base)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(meta));
  fs.renameSync(tmp, metaPath(dir, base));
}

/** Reads one segment to learn where it ends and how new its newest record is (recovery: a crash between a roll and its meta). */
export function scanMeta(dir: string, base: number): SegmentMeta {
  const reader = new PartitionReader(dir, base, { stayInSegment: true });
  let maxTimestamp = 0;
  try {
    for (let batch = reader.read(50_000); batch.length > 0; batch = reader.read(50_000)) {
      for (const r of batch) maxTimestamp = Math.max(maxTimestamp, r.timestamp);
    }
    return { nextOffset: reader.next, maxTimestamp };
  } finally {
    reader.close();
  }
}
