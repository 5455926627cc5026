import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalLogBus } from './local-log';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dist-log-'));

async function readAll(bus: LocalLogBus, topic: string): Promise<string[]> {
  const ids: string[] = [];
  const consumer = bus.consumer({ group: `read-${Math.random()}`, topic, fromBeginning: true });
  const run = consumer.run(async (b) => {
    for (const m of b.messages) ids.push((JSON.parse(m.value.toString()) as { id: string }).id);
  });
  // Caught up when nothing is left between the committed offsets and the end of the log.
  for (let i = 0; i < 1000 && (ids.length === 0 || (await consumer.lag()) > 0); i++) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  await run;
  return ids;
}

describe('local log durability', () => {
  it('loses no acknowledged event after kill -9 at a random moment, and stays writable', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../test/fixtures/log-writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let acked = -1;
      child.stdout.on('data', (d: Buffer) => {
        const last = d.toString().trim().split('\n').at(-1)!;
        acked = Number(last.split(' ')[1]);
      });
      while (acked < 20) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.random() * 300));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));

      const bus = new LocalLogBus({ dir }); // takes over the dead writer's lock, recovers tails
      const ids = new Set(await readAll(bus, 't'));
      for (let b = 0; b <= acked; b++) for (let i = 0; i < 50; i++) expect(ids.has(`${b}-${i}`)).toBe(true);
      await bus.produce('t', [{ key: 'k1', value: JSON.stringify({ id: 'after' }) }]);
      expect(await readAll(bus, 't')).toContain('after');
      await bus.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cuts a torn tail written by a crash mid-record', async () => {
    const dir = tempDir();
    const bus = new LocalLogBus({ dir });
    await bus.ensureTopic({ name: 't', partitions: 1 });
    await bus.produce('t', [1, 2, 3].map((i) => ({ key: 'k', value: JSON.stringify({ id: String(i) }) })));
    await bus.close();
    const segment = path.join(dir, 'topics/t/0', fs.readdirSync(path.join(dir, 'topics/t/0'))[0]);
    fs.appendFileSync(segment, Buffer.from([40, 0, 0, 0, 1, 2, 3])); // a header with no body
    const reopened = new LocalLogBus({ dir });
    expect(await reopened.endOffsets('t')).toEqual([3]);
    await reopened.produce('t', [{ key: 'k', value: JSON.stringify({ id: '4' }) }]);
    expect(await readAll(reopened, 't')).toEqual(['1', '2', '3', '4']);
    await reopened.close();
  });

  it('rolls segments, deletes old ones by retention and replays from what is left', async () => {
    const dir = tempDir();
    const bus = new LocalLogBus({ dir, segmentBytes: 2048 });
    await bus.ensureTopic({ name: 't', partitions: 1 });
    for (let i = 0; i < 100; i++) await bus.produce('t', [{ key: 'k', value: JSON.stringify({ id: String(i), pad: 'x'.repeat(50) }), timestamp: i < 50 ? 1000 : Date.now() }]);
    const segments = () => fs.readdirSync(path.join(dir, 'topics/t/0')).filter((f) => f.endsWith('.log'));
    const before = segments().length;
    expect(before).toBeGreaterThan(3);
    expect(bus.enforceRetention(Date.now() - 60_000)).toBeGreaterThan(0);
    const left = await readAll(bus, 't');
    expect(left.length).toBeLessThan(100);
    expect(left.at(-1)).toBe('99');
    expect(Number(left[0])).toBeLessThanOrEqual(50); // nothing newer than the cutoff was deleted
    await bus.close();
  });

  it('writes each rolled segment the meta a scan of it gives, across restarts and rolls during a sync', async () => {
    const dir = tempDir();
    const expected: { offset: number; timestamp: number }[] = [];
    for (let life = 0; life < 3; life++) {
      const bus = new LocalLogBus({ dir, segmentBytes: 4096 });
      await bus.ensureTopic({ name: 't', partitions: 1 });
      // Concurrent appends: segments roll while an fdatasync of the previous one is in flight.
      await Promise.all(Array.from({ length: 60 }, async (_, i) => {
        const timestamp = 1_000_000 + Math.floor(Math.random() * 1_000_000);
        await bus.produce('t', [{ key: 'k', value: JSON.stringify({ id: `${life}-${i}`, pad: 'x'.repeat(100) }), timestamp }]);
      }));
      await bus.close();
    }
    const bus = new LocalLogBus({ dir });
    const consumer = bus.consumer({ group: 'scan', topic: 't', fromBeginning: true });
    const run = consumer.run(async (b) => {
      for (const m of b.messages) expected.push({ offset: m.offset, timestamp: m.timestamp });
    });
    while (expected.length < 180) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    await run;
    await bus.close();
    const partition = path.join(dir, 'topics/t/0');
    const metas = fs.readdirSync(partition).filter((f) => f.endsWith('.meta.json')).sort();
    expect(metas.length).toBeGreaterThan(5);
    for (const file of metas) {
      const base = Number(file.slice(0, 20));
      const meta = JSON.parse(fs.readFileSync(path.join(partition, file), 'utf8')) as { nextOffset: number; maxTimestamp: number };
      const inSegment = expected.filter((r) => r.offset >= base && r.offset < meta.nextOffset);
      expect(inSegment.length).toBeGreaterThan(0);
      expect(meta.maxTimestamp).toBe(Math.max(...inSegment.map((r) => r.timestamp)));
    }
  });

  it('lets another process read while one writes, and refuses a second writer', async () => {
    const dir = tempDir();
    const writer = new LocalLogBus({ dir });
    expect(() => new LocalLogBus({ dir })).toThrow(/already open in this process|held by process/);
    await writer.ensureTopic({ name: 't', partitions: 2 });
    await writer.produce('t', [{ key: 'a', value: JSON.stringify({ id: 'x' }) }]);
    const reader = new LocalLogBus({ dir, readOnly: true, pollMs: 10 });
    expect(await readAll(reader, 't')).toEqual(['x']);
    await reader.close();
    await writer.close();
  });
});
