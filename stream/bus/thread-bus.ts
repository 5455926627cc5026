import type { MessagePort } from 'node:worker_threads';
import { BusUnavailableError } from '../../lib/errors';
import type { Bus, BusConsumer, OutgoingMessage, StartPosition, TopicSpec } from '../bus';

/**
 * The process's bus, lent to a worker thread: the thread produces through a MessagePort and
 * the thread that owns the bus appends and answers. The embedded local log has one writer,
 * so a thread that takes work off the main thread (ingest's parsing and validation) still
 * appends through it. Produce-only: consumers and offsets stay with the owner.
 */

interface ProduceRequest {
  id: number;
  topic: string;
  messages: OutgoingMessage[];
}
type ProduceReply = { id: number; ok: true } | { id: number; ok: false; message: string; unavailable: boolean };

/** The owner's side: appends what the thread sends and answers once the bus has. */
export function lendBus(bus: Bus, port: MessagePort): void {
  port.on('message', (req: ProduceRequest) => {
    const messages = req.messages.map((m) => ({ ...m, value: typeof m.value === 'string' ? m.value : Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength) }));
    bus.produce(req.topic, messages).then(
      () => port.postMessage({ id: req.id, ok: true } satisfies ProduceReply),
      (err: unknown) => port.postMessage({ id: req.id, ok: false, message: String((err as Error)?.message ?? err), unavailable: err instanceof BusUnavailableError } satisfies ProduceReply),
    );
  });
}

/** The thread's side: a Bus whose produce() resolves when the owner's bus has durably appended. */
export class ThreadBus implements Bus {
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    readonly kind: Bus['kind'],
  ) {
    port.on('message', (reply: ProduceReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiting.resolve();
      else waiting.reject(reply.unavailable ? new BusUnavailableError(reply.message) : new Error(reply.message));
    });
  }

  produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new BusUnavailableError('the bus lent to this thread is closed'));
    if (messages.length === 0) return Promise.resolve();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, topic, messages } satisfies ProduceRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.pending.values()) w.reject(new BusUnavailableError('the bus lent to this thread closed before answering'));
    this.pending.clear();
    this.port.close();
  }

  async ensureTopic(_spec: TopicSpec): Promise<void> {
    // Topics are created by the owner before it lends the bus.
  }

  consumer(): BusConsumer {
    throw new Error('a bus lent to a thread only produces');
  }

  async resetOffsets(_group: string, _topic: string, _to: StartPosition): Promise<void> {
    throw new Error('a bus lent to a thread only produces');
  }

  async endOffsets(): Promise<number[]> {
    throw new Error('a bus lent to a thread only produces');
  }
}
