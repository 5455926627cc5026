import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalLogBus } from './local-log';
import { runBusContract } from './bus.contract';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'dist-log-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

runBusContract('local log', async () => new LocalLogBus({ dir: tempDir(), pollMs: 20 }));
