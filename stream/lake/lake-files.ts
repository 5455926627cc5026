import fs from 'node:fs';
import path from 'node:path';

/**
 * Names and places of lake files. A file's name is derived from the bus partition and the
 * offset range it holds, so the same records always map to the same file name:
 *   raw/event_date=YYYY-MM-DD/hour=HH/part-p<partition>-<first>-<last>.parquet
 */
export interface FileRange {
  partition: number;
  first: number;
  last: number;
}

const NAME = /^part-p(\d{4})-(\d{20})-(\d{20})\.parquet$/;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function lakeFileName(r: FileRange): string {
  return `part-p${pad(r.partition, 4)}-${pad(r.first, 20)}-${pad(r.last, 20)}.parquet`;
}

export function parseLakeFileName(name: string): FileRange | undefined {
  const m = NAME.exec(name);
  return m ? { partition: Number(m[1]), first: Number(m[2]), last: Number(m[3]) } : undefined;
}

export function hourDir(root: string, date: string, hour: string): string {
  return path.join(root, 'raw', `event_date=${date}`, `hour=${hour}`);
}

/** Every finished lake file below `root` (temporary files are not listed). */
export function listLakeFiles(root: string): string[] {
  const base = path.join(root, 'raw');
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (NAME.test(e.name)) out.push(full);
    }
  };
  walk(base);
  return out.sort();
}

/** Offset ranges already in the lake, per partition, sorted and merged. */
export class Coverage {
  private readonly ranges = new Map<number, [number, number][]>();

  static scan(root: string): Coverage {
    const c = new Coverage();
    for (const f of listLakeFiles(root)) {
      const r = parseLakeFileName(path.basename(f));
      if (r) c.add(r);
    }
    return c;
  }

  add(r: FileRange): void {
    const list = this.ranges.get(r.partition) ?? [];
    list.push([r.first, r.last]);
    list.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of list) {
      const top = merged.at(-1);
      if (top && a <= top[1] + 1) top[1] = Math.max(top[1], b);
      else merged.push([a, b]);
    }
    this.ranges.set(r.partition, merged);
  }

  covers(partition: number, offset: number): boolean {
    for (const [a, b] of this.ranges.get(partition) ?? []) {
      if (offset < a) return false;
      if (offset <= b) return true;
    }
    return false;
  }
}
