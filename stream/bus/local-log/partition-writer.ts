import fs from 'node:fs';
import path from 'node:path';
import { encodeRecords } from './record-format';
import { metaPath, readMeta, scanMeta, writeMeta } from './segment-meta';
import { PartitionReader, listSegmentBases, segmentName } from './segment-reader';

export interface AppendRecord {
  key: string;
  value: Buffer;
  timestamp: number;
}

/**
 * The single writer of one partition. Appends go to the active segment with a plain write;
 * durability comes from group commit: every append waits for an fdatasync that started after
 * its write, and one fdatasync serves all appends that arrived while the previous one ran.
 */
export class PartitionWriter {
  private fd = -1;
  private size = 0;
  private base = 0;
  private nextOffset = 0;
  /** Newest append time in the active segment: its meta when it rolls, without reading it back. */
  private maxTimestamp = 0;
  private syncing = false;
  /** Rolled segments' fds, still open for the fdatasync in flight on them (closing would make it fail, or sync a reused fd). */
  private retired: number[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    private readonly dir: string,
    private readonly opts: { segmentBytes: number; fsync: boolean },
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.recover();
  }

  get endOffset(): number {
    return this.nextOffset;
  }

  /** Appends in order and resolves with the first offset once the records are durable. */
  append(records: AppendRecord[]): Promise<number> {
    if (this.size > 0 && this.size >= this.opts.segmentBytes) this.roll();
    const first = this.nextOffset;
    const buf = encodeRecords(records.map((r, i) => ({ ...r, offset: first + i })));
    writeAll(this.fd, buf);
    for (const r of records) if (r.timestamp > this.maxTimestamp) this.maxTimestamp = r.timestamp;
    this.size += buf.length;
    this.nextOffset += records.length;
    if (!this.opts.fsync) return Promise.resolve(first);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.syncing) this.sync();
    }).then(() => first);
  }

  close(): void {
    if (this.fd < 0) return;
    if (this.opts.fsync) fs.fdatasyncSync(this.fd);
    fs.closeSync(this.fd);
    for (const fd of this.retired.splice(0)) fs.closeSync(fd);
    this.fd = -1;
  }

  /** Deletes closed segments whose newest record is older than `cutoff`. Returns how many. */
  deleteOlderThan(cutoff: number): number {
    const bases = listSegmentBases(this.dir).filter((b) => b !== this.base);
    let deleted = 0;
    for (const b of bases) {
      const meta = readMeta(this.dir, b);
      if (!meta || meta.maxTimestamp >= cutoff) break; // keep order: never leave a hole
      fs.rmSync(path.join(this.dir, segmentName(b)), { force: true });
      fs.rmSync(metaPath(this.dir, b), { force: true });
      deleted++;
    }
    return deleted;
  }

  /** First offset whose append time is ≥ `timestamp` (endOffset if none). */
  offsetForTimestamp(timestamp: number): number {
    const bases = listSegmentBases(this.dir);
    let start = bases[0] ?? 0;
    for (const b of bases) {
      const meta = b === this.base ? undefined : readMeta(this.dir, b);
      if (meta && meta.maxTimestamp < timestamp) start = meta.nextOffset;
      else break;
    }
    const reader = new PartitionReader(this.dir, start);
    try {
      for (;;) {
        const batch = reader.read(10_000);
        if (batch.length === 0) return this.nextOffset;
        const hit = batch.find((r) => r.timestamp >= timestamp);
        if (hit) return hit.offset;
      }
    } finally {
      reader.close();
    }
  }

  private sync(): void {
    this.syncing = true;
    const batch = this.waiters;
    this.waiters = [];
    fs.fdatasync(this.fd, (err) => {
      for (const fd of this.retired.splice(0)) fs.closeSync(fd);
      for (const w of batch) (err ? w.reject(err) : w.resolve());
      if (this.waiters.length > 0) this.sync();
      else this.syncing = false;
    });
  }

  /**
   * Closes the active segment and starts the next. Its records are made durable here, so
   * appends waiting for a sync of it are covered whichever fd their sync then runs on.
   */
  private roll(): void {
    fs.fdatasyncSync(this.fd);
    if (this.syncing) this.retired.push(this.fd);
    else fs.closeSync(this.fd);
    writeMeta(this.dir, this.base, { nextOffset: this.nextOffset, maxTimestamp: this.maxTimestamp });
    this.openSegment(this.nextOffset);
  }

  /** Finds the end of valid data in the newest segment and cuts off a torn tail. */
  private recover(): void {
    const bases = listSegmentBases(this.dir);
    const base = bases.at(-1) ?? 0;
    // A crash between rolling and writing a closed segment's meta leaves it without one.
    for (const b of bases.slice(0, -1)) if (!readMeta(this.dir, b)) writeMeta(this.dir, b, scanMeta(this.dir, b));
    const reader = new PartitionReader(this.dir, base);
    let next = base;
    let validEnd = 0;
    let maxTimestamp = 0;
    for (let batch = reader.read(50_000); batch.length > 0; batch = reader.read(50_000)) {
      for (const r of batch) {
        validEnd += 8 + 18 + Buffer.byteLength(r.key) + r.value.length;
        maxTimestamp = Math.max(maxTimestamp, r.timestamp);
      }
      next = reader.next;
    }
    reader.close();
    this.openSegment(base);
    if (fs.fstatSync(this.fd).size !== validEnd) fs.ftruncateSync(this.fd, validEnd);
    this.size = validEnd;
    this.maxTimestamp = maxTimestamp;
    this.nextOffset = next;
  }

  private openSegment(base: number): void {
    this.fd = fs.openSync(path.join(this.dir, segmentName(base)), 'a+');
    this.base = base;
    this.size = 0;
    this.maxTimestamp = 0;
    if (this.opts.fsync) fsyncDir(this.dir);
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let written = 0;
  while (written < buf.length) written += fs.writeSync(fd, buf, written, buf.length - written);
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
