import path from 'node:path';
import type { BatchHandler, BusConsumer, BusMessage, ConsumerOptions } from '../../bus';
import type { LocalLogBus } from '../local-log';
import { acquireProcessLock } from './process-lock';
import { PartitionReader } from './segment-reader';

/**
 * State shared by the members of one consumer group in this process: committed offsets,
 * one reader per partition, and which partitions are being handled right now, so that a
 * partition moving between members is never handled twice at once.
 */
class GroupState {
  readonly members: LocalConsumer[] = [];
  readonly committed: Record<number, number>;
  readonly readers = new Map<number, PartitionReader>();
  readonly inFlight = new Set<number>();
  private readonly release: () => void;

  constructor(readonly bus: LocalLogBus, readonly group: string, readonly topic: string, fromBeginning: boolean, ends: number[]) {
    this.release = acquireProcessLock(path.join(bus.opts.dir, 'groups', `${encodeURIComponent(group)}.lock`), `consumer group ${group}`);
    this.committed = bus.groups.read(group, topic);
    ends.forEach((end, p) => {
      if (this.committed[p] === undefined) this.committed[p] = fromBeginning ? 0 : end;
    });
  }

  assignment(member: LocalConsumer, partitions: number): number[] {
    const i = this.members.indexOf(member);
    const out: number[] = [];
    for (let p = 0; p < partitions; p++) if (p % this.members.length === i) out.push(p);
    return out;
  }

  reader(p: number): PartitionReader {
    let r = this.readers.get(p);
    if (!r) this.readers.set(p, (r = new PartitionReader(this.bus.partitionDir(this.topic, p), this.committed[p] ?? 0)));
    return r;
  }

  rewind(partitions: Iterable<number>): void {
    for (const p of partitions) {
      this.readers.get(p)?.close();
      this.readers.delete(p);
    }
  }

  commit(offsets: Map<number, number>): Promise<void> {
    for (const [p, next] of offsets) this.committed[p] = next;
    return this.bus.groups.write(this.group, this.topic, this.committed);
  }

  close(): void {
    this.rewind([...this.readers.keys()]);
    this.release();
  }
}

const registry = new WeakMap<LocalLogBus, Map<string, GroupState>>();

export class LocalConsumer implements BusConsumer {
  private stopped = false;
  private wake: (() => void) | undefined;
  private done: Promise<void> | undefined;

  constructor(private readonly bus: LocalLogBus, private readonly opts: ConsumerOptions) {}

  run(handler: BatchHandler, onError: (err: unknown) => void = () => undefined): Promise<void> {
    this.done = this.loop(handler, onError);
    return this.done;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done;
  }

  async commit(offsets: Record<number, number>): Promise<void> {
    const state = registry.get(this.bus)?.get(this.opts.group);
    if (!state || !state.members.includes(this)) return;
    const partitions = this.bus.partitionCount(this.opts.topic);
    const mine = new Set(state.assignment(this, partitions));
    const owned = new Map(Object.entries(offsets).map(([p, o]) => [Number(p), o] as const).filter(([p, o]) => mine.has(p) && o > (state.committed[p] ?? 0)));
    if (owned.size > 0) await state.commit(owned);
  }

  async lag(): Promise<number> {
    const ends = await this.bus.endOffsets(this.opts.topic);
    const committed = registry.get(this.bus)?.get(this.opts.group)?.committed ?? this.bus.groups.read(this.opts.group, this.opts.topic);
    return ends.reduce((sum, end, p) => sum + Math.max(0, end - (committed[p] ?? 0)), 0);
  }

  private async loop(handler: BatchHandler, onError: (err: unknown) => void): Promise<void> {
    const ends = await this.bus.endOffsets(this.opts.topic);
    const state = this.join(ends);
    const max = this.opts.maxBatchSize ?? 5000;
    const onAppend = () => this.wake?.();
    this.bus.appended.on(this.opts.topic, onAppend);
    let failures = 0;
    try {
      while (!this.stopped) {
        const mine = state.assignment(this, ends.length).filter((p) => !state.inFlight.has(p));
        const messages = this.collect(state, mine, max);
        if (messages.length === 0) {
          await this.sleep(this.bus.opts.pollMs ?? 100);
          continue;
        }
        const touched = new Map<number, number>();
        for (const m of messages) touched.set(m.partition, m.offset + 1);
        for (const p of touched.keys()) state.inFlight.add(p);
        try {
          const outcome = await handler({ messages });
          if (outcome) await state.commit(new Map(Object.entries(outcome.commit).map(([p, o]) => [Number(p), o])));
          else await state.commit(touched);
          failures = 0;
        } catch (err) {
          onError(err);
          state.rewind(touched.keys()); // deliver the same messages again
          await this.sleep(Math.min(5000, 100 * 2 ** failures++));
        } finally {
          for (const p of touched.keys()) state.inFlight.delete(p);
        }
      }
    } finally {
      this.bus.appended.off(this.opts.topic, onAppend);
      this.leave(state);
    }
  }

  /** Takes up to `max` messages, spread fairly over the partitions that have data. */
  private collect(state: GroupState, partitions: number[], max: number): BusMessage[] {
    const out: BusMessage[] = [];
    const share = Math.max(1, Math.ceil(max / Math.max(1, partitions.length)));
    for (const p of partitions) {
      for (const r of state.reader(p).read(Math.min(share, max - out.length))) {
        out.push({ topic: this.opts.topic, partition: p, offset: r.offset, key: r.key, value: r.value, timestamp: r.timestamp });
      }
      if (out.length >= max) break;
    }
    return out;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = finish;
    });
  }

  private join(ends: number[]): GroupState {
    let groups = registry.get(this.bus);
    if (!groups) registry.set(this.bus, (groups = new Map()));
    let state = groups.get(this.opts.group);
    if (!state) groups.set(this.opts.group, (state = new GroupState(this.bus, this.opts.group, this.opts.topic, this.opts.fromBeginning ?? true, ends)));
    state.members.push(this);
    return state;
  }

  private leave(state: GroupState): void {
    state.members.splice(state.members.indexOf(this), 1);
    if (state.members.length > 0) return;
    state.close();
    registry.get(this.bus)?.delete(this.opts.group);
  }
}
