import fs from 'node:fs';
import path from 'node:path';

/**
 * Committed offsets of consumer groups: one small JSON file per (group, topic), replaced
 * atomically (write, fsync, rename) so a crash leaves either the old or the new offsets.
 */
export class GroupOffsets {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  read(group: string, topic: string): Record<number, number> {
    try {
      return JSON.parse(fs.readFileSync(this.file(group, topic), 'utf8')) as Record<number, number>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  write(group: string, topic: string, offsets: Record<number, number>, fsync: boolean): void {
    const file = this.file(group, topic);
    const tmp = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(offsets));
      if (fsync) fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  private file(group: string, topic: string): string {
    return path.join(this.dir, `${encodeURIComponent(group)}__${encodeURIComponent(topic)}.json`);
  }
}
