import type { StorefrontEvent } from '../../contract/events';
import { createGenerator } from './generator';
import { runPaced } from './pace';

const generator = createGenerator({ seed: 'pace' });
const produce = (n: number) => generator.batch(n);
const abortAfter = (ms: number) => AbortSignal.timeout(ms);
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('runPaced', () => {
  it('sends at the average rate in batches, one send at a time', async () => {
    let inFlight = 0, maxInFlight = 0;
    const sizes: number[] = [];
    const result = await runPaced({
      rate: 2_000, batchSize: 100, produce, signal: abortAfter(500),
      send: async (events) => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight); sizes.push(events.length); await delay(2); inFlight--; },
    });
    // 500 ms at 2000/s is 1000 events; timers on a busy CI box are loose, the bucket is not.
    expect(result.sent).toBeGreaterThan(600);
    expect(result.sent).toBeLessThanOrEqual(1_100);
    expect(result.sent).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(maxInFlight).toBe(1);
    expect(result).toMatchObject({ failed: 0, skipped: 0, batches: sizes.length });
  });

  it('catches up after slow sends instead of drifting', async () => {
    let calls = 0;
    const result = await runPaced({
      rate: 1_000, batchSize: 500, maxDelayMs: 10, produce, signal: abortAfter(600),
      // Every send takes 100 ms: tokens pile up meanwhile and the next batch carries them.
      send: async () => { calls++; await delay(100); },
    });
    // A loop that slept "batch / rate" after each send would manage ~60 events here.
    expect(result.sent).toBeGreaterThan(400);
    expect(result.sent).toBeLessThanOrEqual(750);
    expect(calls).toBeLessThan(10);
  });

  it('skips what it cannot catch up with when the sink is too slow', async () => {
    const result = await runPaced({
      rate: 5_000, batchSize: 10, produce, signal: abortAfter(300), maxLagSeconds: 0.01,
      send: () => delay(20),
    });
    expect(result.skipped).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(500);
  });

  it('reports failed sends and keeps going', async () => {
    const errors: [unknown, StorefrontEvent[]][] = [];
    let calls = 0;
    const result = await runPaced({
      rate: 1_000, batchSize: 20, produce, signal: abortAfter(300),
      send: async () => { if (calls++ % 2 === 0) throw new Error('sink down'); },
      onError: (err, events) => errors.push([err, events]),
    });
    expect(errors.length).toBeGreaterThan(2);
    expect((errors[0][0] as Error).message).toBe('sink down');
    expect(result.failed).toBe(errors.reduce((s, [, e]) => s + e.length, 0));
    expect(result.sent).toBeGreaterThan(0);
  });

  it('stops promptly on abort, even while waiting for tokens', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runPaced({ rate: 0.5, batchSize: 10, produce, signal: controller.signal, send: async () => undefined });
    setTimeout(() => controller.abort(), 50);
    await expect(run).resolves.toEqual({ sent: 0, failed: 0, batches: 0, skipped: 0 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops on abort even when it cannot keep up and sends complete instantly', async () => {
    // Without a macrotask turn per batch this run would never see its abort and never end.
    const result = await runPaced({ rate: 1e9, batchSize: 50, produce, signal: abortAfter(100), send: async () => undefined });
    expect(result.sent).toBeGreaterThan(0);
  });

  it('rejects a rate or batch size it cannot honour', async () => {
    const signal = new AbortController().signal;
    await expect(runPaced({ rate: 0, batchSize: 1, produce, signal, send: async () => undefined })).rejects.toThrow(RangeError);
    await expect(runPaced({ rate: 10, batchSize: 0, produce, signal, send: async () => undefined })).rejects.toThrow(RangeError);
  });
});
