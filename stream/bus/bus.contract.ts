import { randomUUID } from 'node:crypto';
import type { Bus, BusMessage } from '../bus';

/**
 * The behaviour every bus adapter must have. `make` returns a bus connected to fresh,
 * isolated storage (or a real broker); topics are unique per test.
 */
export function runBusContract(name: string, make: () => Promise<Bus>): void {
  describe(`${name} bus contract`, () => {
    let bus: Bus;
    const topic = () => `contract-${randomUUID().slice(0, 8)}`;
    const group = () => `g-${randomUUID().slice(0, 8)}`;

    beforeEach(async () => {
      bus = await make();
    });
    afterEach(async () => {
      await bus.close();
    });

    /** Runs a consumer until it has seen `count` messages (or the timeout hits). */
    async function consume(t: string, g: string, count: number, opts: { failFirst?: boolean; timeoutMs?: number } = {}): Promise<BusMessage[]> {
      const seen: BusMessage[] = [];
      const consumer = bus.consumer({ group: g, topic: t, fromBeginning: true, maxBatchSize: 50 });
      let failed = !opts.failFirst;
      let resolveDone: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const running = consumer.run(async (batch) => {
        if (!failed) {
          failed = true;
          throw new Error('sink failed once');
        }
        seen.push(...batch.messages);
        if (seen.length >= count) resolveDone();
      });
      const timer = setTimeout(() => resolveDone(), opts.timeoutMs ?? 20_000);
      await done;
      clearTimeout(timer);
      await consumer.stop();
      await running;
      return seen;
    }

    const messages = (n: number, keys = 7) => Array.from({ length: n }, (_, i) => ({ key: `user-${i % keys}`, value: JSON.stringify({ i }) }));

    it('delivers every produced message, one key in one partition, in order', async () => {
      const t = topic();
      await bus.ensureTopic({ name: t, partitions: 3 });
      await bus.produce(t, messages(200));
      const seen = await consume(t, group(), 200);
      expect(seen).toHaveLength(200);
      const byKey = new Map<string, { partitions: Set<number>; order: number[] }>();
      for (const m of seen) {
        const entry = byKey.get(m.key) ?? { partitions: new Set(), order: [] };
        entry.partitions.add(m.partition);
        entry.order.push((JSON.parse(m.value.toString()) as { i: number }).i);
        byKey.set(m.key, entry);
      }
      expect(byKey.size).toBe(7);
      for (const { partitions, order } of byKey.values()) {
        expect(partitions.size).toBe(1);
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    });

    it('resumes a group after its committed offsets', async () => {
      const t = topic();
      const g = group();
      await bus.ensureTopic({ name: t, partitions: 2 });
      await bus.produce(t, messages(40));
      expect(await consume(t, g, 40)).toHaveLength(40);
      await bus.produce(t, messages(10, 3).map((m) => ({ ...m, value: 'second' })));
      const second = await consume(t, g, 10);
      expect(second.map((m) => m.value.toString())).toEqual(Array(10).fill('second'));
      expect(await bus.consumer({ group: g, topic: t }).lag()).toBe(0);
    });

    it('redelivers a batch whose handler failed, losing nothing', async () => {
      const t = topic();
      await bus.ensureTopic({ name: t, partitions: 2 });
      await bus.produce(t, messages(30));
      const seen = await consume(t, group(), 30, { failFirst: true });
      expect(new Set(seen.map((m) => `${m.partition}:${m.offset}`)).size).toBe(30);
    });

    it('keeps groups independent and reports lag', async () => {
      const t = topic();
      await bus.ensureTopic({ name: t, partitions: 2 });
      await bus.produce(t, messages(25));
      const g2 = group();
      expect(await consume(t, group(), 25)).toHaveLength(25);
      expect(await consume(t, g2, 25)).toHaveLength(25);
      const fresh = group();
      await bus.resetOffsets(fresh, t, { offset: 'earliest' });
      expect(await bus.consumer({ group: fresh, topic: t }).lag()).toBe(25);
      expect((await bus.endOffsets(t)).reduce((a, b) => a + b, 0)).toBe(25);
    });

    it('replays from the beginning, from an offset and from a time', async () => {
      const t = topic();
      const g = group();
      await bus.ensureTopic({ name: t, partitions: 1 });
      await bus.produce(t, messages(10, 1).map((m) => ({ ...m, timestamp: 1_000_000 })));
      await bus.produce(t, messages(5, 1).map((m) => ({ ...m, value: 'late', timestamp: 2_000_000 })));
      expect(await consume(t, g, 15)).toHaveLength(15);

      await bus.resetOffsets(g, t, { timestamp: 1_500_000 });
      expect((await consume(t, g, 5)).map((m) => m.value.toString())).toEqual(Array(5).fill('late'));

      await bus.resetOffsets(g, t, { partitionOffsets: { 0: 12 } });
      expect((await consume(t, g, 3)).map((m) => m.offset)).toEqual([12, 13, 14]);

      await bus.resetOffsets(g, t, { offset: 'earliest' });
      expect(await consume(t, g, 15)).toHaveLength(15);
    });

    it('commits only what a buffering handler says is durable', async () => {
      const t = topic();
      const g = group();
      await bus.ensureTopic({ name: t, partitions: 1 });
      await bus.produce(t, messages(20, 1));
      const consumer = bus.consumer({ group: g, topic: t, fromBeginning: true, maxBatchSize: 100 });
      let seen = 0;
      const run = consumer.run(async (b) => {
        seen += b.messages.length;
        return { commit: { 0: 5 } };
      });
      while (seen < 20) await new Promise((r) => setTimeout(r, 20));
      await consumer.stop();
      await run;
      const again = await consume(t, g, 15);
      expect(again.map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i + 5));
    });

    it('commits out of band, between batches, for the partitions a member owns', async () => {
      const t = topic();
      const g = group();
      await bus.ensureTopic({ name: t, partitions: 1 });
      await bus.produce(t, messages(10, 1));
      const consumer = bus.consumer({ group: g, topic: t, fromBeginning: true });
      let seen = 0;
      const run = consumer.run(async (b) => {
        seen += b.messages.length;
        return { commit: {} };
      });
      while (seen < 10) await new Promise((r) => setTimeout(r, 20));
      expect(await consumer.lag()).toBe(10);
      await consumer.commit({ 0: 10 });
      expect(await consumer.lag()).toBe(0);
      await consumer.stop();
      await run;
    });

    it('splits partitions between members of one group, each message once', async () => {
      const t = topic();
      const g = group();
      await bus.ensureTopic({ name: t, partitions: 4 });
      const seen: BusMessage[] = [];
      const members = [0, 1].map(() => bus.consumer({ group: g, topic: t, fromBeginning: true, maxBatchSize: 20 }));
      const runs = members.map((c) => c.run(async (b) => void seen.push(...b.messages)));
      await bus.produce(t, messages(300, 50));
      const deadline = Date.now() + 30_000;
      while (seen.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await Promise.all(members.map((c) => c.stop()));
      await Promise.all(runs);
      expect(new Set(seen.map((m) => `${m.partition}:${m.offset}`)).size).toBe(300);
      expect(seen).toHaveLength(300);
    });
  });
}
