import type { BusMessage } from '../../bus';
import { Coalescer, type Chunk } from './coalescer';

const msgs = (partition: number, n: number): BusMessage[] =>
  Array.from({ length: n }, (_, offset) => ({ topic: 't', partition, offset, key: 'k', value: Buffer.alloc(0), timestamp: 0 }));
const chunk = (partition: number, n: number, live = () => true): Chunk<number> => ({ messages: msgs(partition, n), payload: partition, live });
const partitionsOf = (ms: BusMessage[]) => [...new Set(ms.map((m) => m.partition))];

describe('Coalescer', () => {
  it('puts chunks offered together into one call of at most max messages, one call at a time', async () => {
    const calls: number[][] = [];
    let running = 0;
    const c = new Coalescer<number>(10, async (messages) => {
      expect(++running).toBe(1);
      calls.push(partitionsOf(messages));
      await new Promise((r) => setTimeout(r, 5));
      running--;
    });
    const fates = await Promise.all([c.submit(chunk(0, 4)), c.submit(chunk(1, 4)), c.submit(chunk(2, 4)), c.submit(chunk(3, 2))]);
    expect(fates.every((f) => f.kind === 'handled')).toBe(true);
    // Chunks are never split or reordered: 4 + 4 fit, 4 + 4 + 4 does not.
    expect(calls).toEqual([[0, 1], [2, 3]]);
  });

  it('drops chunks that are no longer ours when their call is put together', async () => {
    const calls: number[][] = [];
    const c = new Coalescer<number>(100, async (messages) => void calls.push(partitionsOf(messages)));
    const fates = await Promise.all([c.submit(chunk(0, 3)), c.submit(chunk(1, 3, () => false))]);
    expect(fates.map((f) => f.kind)).toEqual(['handled', 'dropped']);
    expect(calls).toEqual([[0]]);
  });

  it('fails every chunk of a failed call with its error, then goes on with the next chunks', async () => {
    const boom = new Error('sink down');
    let n = 0;
    const c = new Coalescer<number>(5, async () => {
      if (n++ === 0) throw boom;
    });
    const fates = await Promise.all([c.submit(chunk(0, 2)), c.submit(chunk(1, 2)), c.submit(chunk(2, 5))]);
    expect(fates).toEqual([{ kind: 'failed', error: boom }, { kind: 'failed', error: boom }, { kind: 'handled' }]);
  });

  it('collects chunks offered while a call runs into the next call', async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const c = new Coalescer<number>(100, async (messages) => {
      calls.push(partitionsOf(messages));
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = c.submit(chunk(0, 1));
    await new Promise((r) => setImmediate(r));
    const later = [c.submit(chunk(1, 1)), c.submit(chunk(2, 1))];
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual([[0]]);
    release();
    await Promise.all([first, ...later]);
    expect(calls).toEqual([[0], [1, 2]]);
  });
});
