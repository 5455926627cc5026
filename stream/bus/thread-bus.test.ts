import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { BusUnavailableError } from '../../lib/errors';
import { LocalLogBus } from './local-log';
import { lendBus, ThreadBus } from './thread-bus';

describe('a bus lent to a thread', () => {
  let dir: string;
  let bus: LocalLogBus;
  let channel: MessageChannel;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thread-bus-'));
    bus = new LocalLogBus({ dir });
    await bus.ensureTopic({ name: 't', partitions: 3 });
    channel = new MessageChannel();
    lendBus(bus, channel.port1);
  });
  afterEach(async () => {
    channel.port1.close();
    await bus.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('appends through the owner: strings and buffers, keys kept, resolved only once durable', async () => {
    const lent = new ThreadBus(channel.port2, bus.kind);
    await Promise.all([
      lent.produce('t', [{ key: 'alice', value: '{"a":1}' }, { key: 'bob', value: Buffer.from('{"b":2}'), timestamp: 42 }]),
      lent.produce('t', [{ key: 'alice', value: '{"a":3}' }]),
    ]);
    expect((await bus.endOffsets('t')).reduce((a, b) => a + b, 0)).toBe(3);
    const seen: string[] = [];
    const consumer = bus.consumer({ group: 'g', topic: 't' });
    const running = consumer.run(async (batch) => {
      for (const m of batch.messages) seen.push(`${m.key}:${m.value.toString()}:${m.key === 'bob' ? m.timestamp : ''}`);
      if (seen.length === 3) void consumer.stop();
    });
    await running;
    expect(seen.sort()).toEqual(['alice:{"a":1}:', 'alice:{"a":3}:', 'bob:{"b":2}:42']);
    await lent.close();
  });

  it("passes the owner's failure back as BusUnavailableError, and refuses after close", async () => {
    const lent = new ThreadBus(channel.port2, bus.kind);
    await expect(lent.produce('no-such-topic', [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(BusUnavailableError);
    await lent.close();
    await expect(lent.produce('t', [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(BusUnavailableError);
  });
});
