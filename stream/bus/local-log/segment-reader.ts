import fs from 'node:fs';
import path from 'node:path';
import { decodeAt, type DecodedRecord } from './record-format';

export const segmentName = (base: number) => `${String(base).padStart(20, '0')}.log`;

export function listSegmentBases(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => /^\d{20}\.log$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
}

/** Reads start small (a tail of new records) and grow while they come back full (a backlog). */
const MIN_CHUNK = 64 << 10;
const MAX_CHUNK = 4 << 20;

/**
 * Reads a partition's records forward from an offset, crossing segment files. It reads
 * files, not the writer's memory, so a consumer in another process can tail the same log.
 * A record that is not complete yet (or a torn tail) simply ends the read.
 */
export class PartitionReader {
  private fd = -1;
  private base = -1;
  private pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  private chunk = MIN_CHUNK;
  /** Offset of the next record this reader returns. */
  next: number;
  /** Set when a segment had a corrupt record: the reader stops there instead of guessing. */
  corruption: string | undefined;

  constructor(
    private readonly dir: string,
    from: number,
    private readonly opts: { stayInSegment?: boolean } = {},
  ) {
    this.next = from;
    this.openFor(from);
  }

  /** Up to `maxRecords` records (and roughly `maxBytes`); empty when caught up. */
  read(maxRecords: number, maxBytes = 8 << 20): DecodedRecord[] {
    const out: DecodedRecord[] = [];
    let bytes = 0;
    while (out.length < maxRecords && bytes < maxBytes) {
      if (this.fd < 0 && !this.openFor(this.next)) break;
      const rel = this.pos - this.bufStart;
      const step = decodeAt(this.buf, rel, this.buf.length);
      if (step.kind === 'record') {
        this.pos += step.size;
        if (step.record.offset < this.next) continue; // seeking forward inside a segment
        out.push(step.record);
        bytes += step.size;
        this.next = step.record.offset + 1;
        continue;
      }
      if (step.kind === 'corrupt') {
        this.corruption = `${segmentName(this.base)} at byte ${this.pos}: ${step.why}`;
        break;
      }
      if (this.refill(step.kind === 'incomplete' && rel + 4 <= this.buf.length ? this.buf.readUInt32LE(rel) + 8 : 0)) continue;
      if (!this.advanceSegment()) break;
    }
    return out;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Reads more of the current file; false at its end. */
  private refill(need: number): boolean {
    const carried = this.buf.length - (this.pos - this.bufStart);
    const size = Math.max(this.chunk, need, carried + MIN_CHUNK);
    const fresh = Buffer.allocUnsafe(size);
    this.buf.copy(fresh, 0, this.pos - this.bufStart);
    const n = fs.readSync(this.fd, fresh, carried, size - carried, this.pos + carried);
    this.chunk = carried + n === size ? Math.min(MAX_CHUNK, this.chunk * 2) : MIN_CHUNK;
    // A fresh buffer per refill: records handed out earlier keep pointing at valid memory.
    this.buf = fresh.subarray(0, carried + n);
    this.bufStart = this.pos;
    return n > 0;
  }

  /** At the end of a file: move on if the writer has started the next segment. */
  private advanceSegment(): boolean {
    const nextPath = path.join(this.dir, segmentName(this.next));
    if (this.opts.stayInSegment || this.base === this.next || !fs.existsSync(nextPath)) return false;
    this.close();
    return this.openFor(this.next);
  }

  private openFor(offset: number): boolean {
    const bases = listSegmentBases(this.dir);
    if (bases.length === 0) return false;
    let base = bases[0];
    for (const b of bases) if (b <= offset) base = b;
    if (offset < bases[0]) this.next = bases[0]; // retention removed what was asked for
    try {
      this.fd = fs.openSync(path.join(this.dir, segmentName(base)), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // deleted by retention meanwhile
      throw err;
    }
    this.base = base;
    this.pos = 0;
    this.bufStart = 0;
    this.buf = Buffer.alloc(0);
    return true;
  }
}
