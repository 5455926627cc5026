import { spawn } from 'node:child_process';
import path from 'node:path';
import { tempDir } from './helpers/temp';

/**
 * The README's start command as a user runs it: the built `distributary start` in its own
 * process (dist/ from `npm run build`; npm test builds first), demo data flowing, URLs
 * printed, Ctrl-C exiting cleanly.
 */
describe('distributary start (the real command)', () => {
  it('prints its URLs, serves generated data, and exits 0 on SIGINT after flushing', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [path.resolve(__dirname, '../bin/distributary.js'), 'start'], {
      env: { ...process.env, DISTRIBUTARY_DATA_DIR: dir, DISTRIBUTARY_INGEST_PORT: '0', DISTRIBUTARY_API_PORT: '0', DISTRIBUTARY_GENERATOR_RATE: '200', DISTRIBUTARY_LAKE_ROLL_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/live KPIs\s+(\S+)/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    const kpiUrl = /live KPIs\s+(\S+)/.exec(out)?.[1];
    expect(kpiUrl).toBeDefined();
    expect(out).toMatch(/ingest\s+POST http:\/\/127\.0\.0\.1:\d+\/v1\/events\s+\(Authorization: Bearer dk_/);
    let events = 0;
    while (events === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      events = ((await (await fetch(kpiUrl!)).json()) as { totals: { events: number } }).totals.events;
    }
    expect(events).toBeGreaterThan(0);
    while (!/lake file written/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('stopped cleanly');
  });
});
