import fs from 'node:fs';
import path from 'node:path';

/**
 * Committed offsets of consumer groups: one small JSON file per (group, topic), replaced
 * atomically (write a temporary file, rename) so a crash leaves either the old or the new
 * offsets. Commits are not fsynced: losing the newest commit to a power cut only means a
 * batch is delivered again, which every sink already absorbs (idempotent by partition and
 * offset), while an fsync per batch cost a tenth of the embedded platform's CPU (measured).
 * Writes are asynchronous, one at a time per file, and coalesced: only the newest matters.
 */
export class GroupOffsets {
  private readonly writing = new Map<string, { running: Promise<void>; next?: Record<number, number> }>();

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

  /** Resolves once these offsets (or newer ones) are on disk. */
  write(group: string, topic: string, offsets: Record<number, number>): Promise<void> {
    const file = this.file(group, topic);
    const slot = this.writing.get(file);
    if (slot) {
      slot.next = { ...offsets };
      return slot.running;
    }
    const entry: { running: Promise<void>; next?: Record<number, number> } = { running: Promise.resolve() };
    entry.running = (async () => {
      let current: Record<number, number> | undefined = { ...offsets };
      try {
        while (current) {
          const tmp = `${file}.${process.pid}.tmp`;
          await fs.promises.writeFile(tmp, JSON.stringify(current));
          await fs.promises.rename(tmp, file);
          current = entry.next;
          entry.next = undefined;
        }
      } finally {
        this.writing.delete(file);
      }
    })();
    this.writing.set(file, entry);
    return entry.running;
  }

  /** Waits for every pending write (before closing). */
  async flush(): Promise<void> {
    await Promise.all([...this.writing.values()].map((w) => w.running.catch(() => undefined)));
  }

  private file(group: string, topic: string): string {
    return path.join(this.dir, `${encodeURIComponent(group)}__${encodeURIComponent(topic)}.json`);
  }
}
