import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { BusUnavailableError } from '../../lib/errors';
import { describeWithServices, kafkaBrokers } from '../../test/integration';
import { partitionFor, type BusMessage } from '../bus';
import { runBusContract } from './bus.contract';
import { GroupActiveError, KafkaBus } from './kafka';

// The contract replays messages stamped in 1970: without retention.ms=-1 the broker's
// retention check (every 5 min) could delete them in the middle of a test.
const make = (extra: Partial<ConstructorParameters<typeof KafkaBus>[0]> = {}) => new KafkaBus({ brokers: kafkaBrokers(), topicConfig: { 'retention.ms': '-1' }, ...extra });

describeWithServices(['kafka'], 'kafka bus', () => {
  runBusContract('kafka', async () => make());

  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const messages = (n: number, keys = 13) => Array.from({ length: n }, (_, i) => ({ key: `user-${i % keys}`, value: JSON.stringify({ i }) }));
  const id = (m: BusMessage) => `${m.partition}:${m.offset}`;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  describe('failures', () => {
    it('rejects produce and admin calls with BusUnavailableError within seconds when no broker listens', async () => {
      const bus = new KafkaBus({ brokers: ['127.0.0.1:1'] });
      try {
        for (const call of [() => bus.produce('t', messages(3)), () => bus.ensureTopic({ name: 't', partitions: 1 }), () => bus.endOffsets('t')]) {
          const started = Date.now();
          await expect(call()).rejects.toBeInstanceOf(BusUnavailableError);
          expect(Date.now() - started).toBeLessThan(3000);
        }
      } finally {
        await bus.close();
      }
    });

    it('rejects produce within its timeout when the broker accepts connections but never answers', async () => {
      const sockets = new Set<net.Socket>();
      const server = net.createServer((s) => void sockets.add(s));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as net.AddressInfo;
      const bus = new KafkaBus({ brokers: [`127.0.0.1:${port}`], produceTimeoutMs: 1500 });
      try {
        const started = Date.now();
        await expect(bus.produce('t', messages(3))).rejects.toBeInstanceOf(BusUnavailableError);
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        await bus.close();
        for (const s of sockets) s.destroy();
        await new Promise((r) => server.close(r));
      }
    });

    it('a consumer keeps trying while no broker listens, reports it through onError, and stops promptly', async () => {
      const bus = new KafkaBus({ brokers: ['127.0.0.1:1'] });
      const errors: unknown[] = [];
      const consumer = bus.consumer({ group: name('g'), topic: 't' });
      const run = consumer.run(async () => undefined, (err) => errors.push(err));
      await until(() => errors.length >= 2, 10_000);
      expect(errors[0]).toBeInstanceOf(BusUnavailableError);
      const started = Date.now();
      await consumer.stop();
      await run;
      expect(Date.now() - started).toBeLessThan(2000);
      await bus.close();
    });

    it('stop() right after run() resolves both promptly', async () => {
      const bus = make();
      try {
        const t = name('quick');
        await bus.ensureTopic({ name: t, partitions: 2 });
        for (let i = 0; i < 3; i++) {
          const consumer = bus.consumer({ group: name('g'), topic: t });
          const run = consumer.run(async () => undefined);
          const started = Date.now();
          await consumer.stop();
          await run;
          expect(Date.now() - started).toBeLessThan(3000);
        }
      } finally {
        await bus.close();
      }
    });

    it('refuses to produce to a topic that does not exist, and does not create it', async () => {
      const bus = make();
      try {
        const t = name('missing');
        await expect(bus.produce(t, messages(1))).rejects.toBeInstanceOf(BusUnavailableError);
        await expect(bus.endOffsets(t)).rejects.toBeInstanceOf(BusUnavailableError);
        // the producer is still usable afterwards
        const ok = name('ok');
        await bus.ensureTopic({ name: ok, partitions: 1 });
        await bus.produce(ok, messages(2));
        expect(await bus.endOffsets(ok)).toEqual([2]);
      } finally {
        await bus.close();
      }
    });
  });

  describe('produce', () => {
    it('keeps per-key order across concurrent calls coalesced into shared requests, over two topics', async () => {
      const bus = make();
      try {
        const [t1, t2] = [name('co1'), name('co2')];
        await bus.ensureTopic({ name: t1, partitions: 3 });
        await bus.ensureTopic({ name: t2, partitions: 2 });
        // 40 callers at once, each one key, sequence numbers 0..49 split over 5 calls in order
        await Promise.all(
          Array.from({ length: 40 }, async (_, caller) => {
            for (let call = 0; call < 5; call++) {
              const batch = Array.from({ length: 10 }, (_, j) => ({ key: `k${caller}`, value: String(call * 10 + j) }));
              await bus.produce(caller % 2 ? t1 : t2, batch);
            }
          }),
        );
        for (const t of [t1, t2]) {
          const seen: BusMessage[] = [];
          const consumer = bus.consumer({ group: name('g'), topic: t });
          const run = consumer.run(async (b) => void seen.push(...b.messages));
          await until(() => seen.length >= 1000, 20_000);
          await consumer.stop();
          await run;
          expect(seen).toHaveLength(1000);
          const byKey = new Map<string, number[]>();
          for (const m of seen) byKey.set(m.key, [...(byKey.get(m.key) ?? []), Number(m.value.toString())]);
          expect(byKey.size).toBe(20);
          for (const seq of byKey.values()) expect(seq).toEqual(Array.from({ length: 50 }, (_, i) => i));
        }
      } finally {
        await bus.close();
      }
    });

    it('a message too large for the broker fails its own call only', async () => {
      const bus = make();
      try {
        const t = name('big');
        await bus.ensureTopic({ name: t, partitions: 1 });
        const huge = randomBytes(1_500_000).toString('base64'); // incompressible, over message.max.bytes
        const calls = [bus.produce(t, [{ key: 'big', value: huge }]), ...Array.from({ length: 10 }, (_, i) => bus.produce(t, messages(5).map((m) => ({ ...m, key: `small-${i}` }))))];
        const settled = await Promise.allSettled(calls);
        expect(settled[0].status).toBe('rejected');
        expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(BusUnavailableError);
        expect(settled.slice(1).every((r) => r.status === 'fulfilled')).toBe(true);
        expect(await bus.endOffsets(t)).toEqual([50]);
      } finally {
        await bus.close();
      }
    });
  });

  describe('topics and placement', () => {
    it('ensureTopic is idempotent and grows, never shrinks, a topic', async () => {
      const bus = make();
      try {
        const t = name('grow');
        await bus.ensureTopic({ name: t, partitions: 2 });
        await bus.ensureTopic({ name: t, partitions: 2 });
        expect(await bus.endOffsets(t)).toEqual([0, 0]);
        await bus.ensureTopic({ name: t, partitions: 4 });
        expect(await bus.endOffsets(t)).toEqual([0, 0, 0, 0]);
        await bus.ensureTopic({ name: t, partitions: 1 });
        expect(await bus.endOffsets(t)).toHaveLength(4);
        // the producer sees the new partitions at once
        await bus.produce(t, messages(40));
        expect((await bus.endOffsets(t)).filter((n) => n > 0).length).toBe(4);
      } finally {
        await bus.close();
      }
    });

    it('places keys with partitionFor, keeps timestamps and order, and caps handler batches at maxBatchSize', async () => {
      const bus = make();
      try {
        const t = name('place');
        await bus.ensureTopic({ name: t, partitions: 3 });
        await bus.produce(t, messages(120).map((m, i) => ({ ...m, timestamp: 1_700_000_000_000 + i })));
        const sizes: number[] = [];
        const seen: BusMessage[] = [];
        const consumer = bus.consumer({ group: name('g'), topic: t, maxBatchSize: 7 });
        const run = consumer.run(async (b) => {
          sizes.push(b.messages.length);
          seen.push(...b.messages);
        });
        await until(() => seen.length >= 120, 20_000);
        await consumer.stop();
        await run;
        expect(Math.max(...sizes)).toBeLessThanOrEqual(7);
        for (let p = 0; p < 3; p++) {
          const offsets = seen.filter((m) => m.partition === p).map((m) => m.offset);
          expect(offsets).toEqual(offsets.map((_, i) => i));
        }
        for (const m of seen) {
          expect(m.partition).toBe(partitionFor(m.key, 3));
          const i = (JSON.parse(m.value.toString()) as { i: number }).i;
          expect(m.timestamp).toBe(1_700_000_000_000 + i);
        }
        expect(await consumer.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });

    it('hands the partitions of one fetch to the handler in one call, and commits each of them', async () => {
      const bus = make();
      try {
        const t = name('coalesce');
        await bus.ensureTopic({ name: t, partitions: 6 });
        await bus.produce(t, messages(60, 30));
        const calls: BusMessage[][] = [];
        const consumer = bus.consumer({ group: name('g'), topic: t, maxBatchSize: 1000 });
        const run = consumer.run(async (b) => void calls.push(b.messages));
        await until(() => calls.flat().length >= 60, 20_000);
        await consumer.stop();
        await run;
        expect(calls).toHaveLength(1);
        expect(new Set(calls[0].map((m) => m.partition)).size).toBe(6);
        expect(await consumer.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });

    it('stop() during a handler waits for it and commits its batch', async () => {
      const bus = make();
      try {
        const t = name('inflight');
        await bus.ensureTopic({ name: t, partitions: 1 });
        await bus.produce(t, messages(20));
        let started!: () => void;
        const inHandler = new Promise<void>((r) => (started = r));
        let finished = false;
        const consumer = bus.consumer({ group: name('g'), topic: t, maxBatchSize: 100 });
        const run = consumer.run(async (b) => {
          expect(b.messages).toHaveLength(20);
          started();
          await sleep(1500); // longer than a heartbeat interval
          finished = true;
        });
        await inHandler;
        await consumer.stop();
        expect(finished).toBe(true);
        await run;
        expect(await consumer.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });

    it('refuses to move the offsets of a group that has running members', async () => {
      const bus = make();
      try {
        const t = name('busy');
        const g = name('g');
        await bus.ensureTopic({ name: t, partitions: 1 });
        await bus.produce(t, messages(5));
        let handled = 0;
        const consumer = bus.consumer({ group: g, topic: t });
        const run = consumer.run(async (b) => void (handled += b.messages.length));
        await until(() => handled >= 5, 20_000);
        await expect(bus.resetOffsets(g, t, { offset: 'earliest' })).rejects.toBeInstanceOf(GroupActiveError);
        await consumer.stop();
        await run;
        await bus.resetOffsets(g, t, { offset: 'earliest' });
        expect(await consumer.lag()).toBe(5);
        await bus.resetOffsets(g, t, { offset: 'latest' });
        expect(await consumer.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });
  });

  describe('group takeover', () => {
    it('a member whose sink keeps failing is stopped: another member handles the rest, nothing lost or repeated', async () => {
      const bus = make();
      try {
        const t = name('takeover');
        const g = name('g');
        await bus.ensureTopic({ name: t, partitions: 2 });
        await bus.produce(t, messages(100));
        const fromA = new Set<string>();
        const failedA = new Set<string>();
        let callsA = 0;
        const a = bus.consumer({ group: g, topic: t, maxBatchSize: 10 });
        const runA = a.run(
          async (b) => {
            if (++callsA > 2) {
              b.messages.forEach((m) => failedA.add(id(m)));
              throw new Error('sink down');
            }
            b.messages.forEach((m) => fromA.add(id(m)));
          },
          () => undefined,
        );
        await until(() => callsA >= 5, 20_000);
        await a.stop();
        await runA;
        expect(fromA.size).toBe(20);

        const sink = new Map<string, number>();
        const b = bus.consumer({ group: g, topic: t, maxBatchSize: 10 });
        const runB = b.run(async (batch) => {
          for (const m of batch.messages) sink.set(id(m), (sink.get(id(m)) ?? 0) + 1);
        });
        await until(() => fromA.size + sink.size >= 100, 20_000);
        await sleep(300); // anything extra would show up as a duplicate
        await b.stop();
        await runB;
        expect([...sink.values()].every((n) => n === 1)).toBe(true);
        expect([...sink.keys()].filter((k) => fromA.has(k))).toEqual([]); // A's commits held
        for (const k of failedA) expect(sink.has(k)).toBe(true); // what failed in A is redelivered
        expect(new Set([...fromA, ...sink.keys()]).size).toBe(100);
        expect(await b.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });

    it('a second member joining mid-run takes over partitions without duplicates', async () => {
      const bus = make();
      try {
        const t = name('join');
        const g = name('g');
        await bus.ensureTopic({ name: t, partitions: 4 });
        await bus.produce(t, messages(400, 50));
        const sink = new Map<string, string[]>();
        const handler = (member: string) => async (b: { messages: BusMessage[] }) => {
          for (const m of b.messages) sink.set(id(m), [...(sink.get(id(m)) ?? []), member]);
          await sleep(80);
        };
        const a = bus.consumer({ group: g, topic: t, maxBatchSize: 10 });
        const runA = a.run(handler('a'));
        await until(() => sink.size >= 50, 20_000);
        const b = bus.consumer({ group: g, topic: t, maxBatchSize: 10 });
        const runB = b.run(handler('b'));
        await until(() => sink.size >= 400, 30_000);
        await sleep(300);
        await Promise.all([a.stop(), b.stop()]);
        await Promise.all([runA, runB]);
        const all = [...sink.values()];
        expect(all.filter((members) => members.length > 1)).toEqual([]);
        expect(all.some((members) => members[0] === 'b')).toBe(true);
        expect(await a.lag()).toBe(0);
      } finally {
        await bus.close();
      }
    });

    it('a member killed with SIGKILL (no LeaveGroup) is replaced after its session expires; every message handled at least once', async () => {
      const bus = make();
      const t = name('kill');
      const g = name('g');
      await bus.ensureTopic({ name: t, partitions: 2 });
      await bus.produce(t, messages(300));
      const fromChild = new Set<string>();
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'kafka/crash-member.fixture.ts'), kafkaBrokers().join(','), t, g], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        let buffered = '';
        child.stdout.on('data', (d: Buffer) => {
          buffered += d.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('handled ')) line.slice(8).split(' ').forEach((k) => fromChild.add(k));
        });
        await until(() => fromChild.size >= 60, 30_000);
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        expect(fromChild.size).toBeLessThan(300);

        const sink = new Map<string, number>();
        const takenOver = Date.now();
        const b = bus.consumer({ group: g, topic: t, maxBatchSize: 50 });
        const runB = b.run(async (batch) => {
          for (const m of batch.messages) sink.set(id(m), (sink.get(id(m)) ?? 0) + 1);
        });
        await until(() => new Set([...fromChild, ...sink.keys()]).size >= 300, 30_000);
        const tookMs = Date.now() - takenOver;
        await sleep(300);
        await b.stop();
        await runB;
        expect(new Set([...fromChild, ...sink.keys()]).size).toBe(300); // at least once
        expect([...sink.values()].every((n) => n === 1)).toBe(true); // the new member handles each once
        // Only the chunk in the child's hands when it died (≤ 10 per partition) is handled twice.
        expect([...sink.keys()].filter((k) => fromChild.has(k)).length).toBeLessThanOrEqual(20);
        expect(tookMs).toBeLessThan(15_000); // the child's 6 s session, then a rebalance
        expect(await b.lag()).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await bus.close();
      }
    });
  });
});
