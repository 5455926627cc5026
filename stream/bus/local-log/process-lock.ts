import fs from 'node:fs';

/**
 * An exclusive lock held by this process through a pid file. A lock whose process is gone
 * (kill -9) is taken over, which is what makes restart after a crash work.
 */
export function acquireProcessLock(file: string, what: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      if (holder === process.pid) throw new Error(`${what} is already open in this process`);
      if (holder > 0 && isAlive(holder)) {
        throw new Error(`${what} is held by process ${holder} (${file}); the local log allows one writer and one process per consumer group: use Kafka to scale out`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
