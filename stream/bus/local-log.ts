import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { BusUnavailableError } from '../../lib/errors';
import type { Bus, BusConsumer, ConsumerOptions, OutgoingMessage, StartPosition, TopicSpec } from '../bus';
import { partitionFor } from '../bus';
import { GroupOffsets } from './local-log/group-offsets';
import { LocalConsumer } from './local-log/local-consumer';
import { PartitionWriter } from './local-log/partition-writer';
import { acquireProcessLock } from './local-log/process-lock';
import { PartitionReader } from './local-log/segment-reader';

export interface LocalLogOptions {
  dir: string;
  fsync?: boolean;
  segmentBytes?: number;
  retentionMs?: number;
  /** How often a consumer looks for data written by another process. */
  pollMs?: number;
  /** Open without the writer lock: for consumers in a process other than the ingest one. */
  readOnly?: boolean;
}

/**
 * The embedded bus: a durable, partitioned log on local disk with consumer groups. It is
 * what a small shop runs in production on one machine, not a test double: appends are
 * fsynced before they are acknowledged and recovery cuts torn tails after kill -9.
 */
export class LocalLogBus implements Bus {
  readonly kind = 'local' as const;
  readonly appended = new EventEmitter();
  readonly groups: GroupOffsets;
  private readonly writers = new Map<string, PartitionWriter[]>();
  private readonly releaseLock: () => void;
  private readonly retentionTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly opts: LocalLogOptions) {
    fs.mkdirSync(path.join(opts.dir, 'topics'), { recursive: true });
    this.groups = new GroupOffsets(path.join(opts.dir, 'groups'));
    this.appended.setMaxListeners(0);
    this.releaseLock = opts.readOnly ? () => undefined : acquireProcessLock(path.join(opts.dir, 'writer.lock'), `the local log ${opts.dir}`);
    if (opts.retentionMs && !opts.readOnly) {
      this.retentionTimer = setInterval(() => this.enforceRetention(Date.now() - opts.retentionMs!), 60_000).unref();
    }
  }

  async ensureTopic(spec: TopicSpec): Promise<void> {
    const metaFile = path.join(this.topicDir(spec.name), 'topic.json');
    const existing = this.partitionCount(spec.name);
    if (existing >= spec.partitions) return;
    if (this.opts.readOnly) throw new Error(`topic ${spec.name} does not exist and this bus is read-only`);
    fs.mkdirSync(this.topicDir(spec.name), { recursive: true });
    fs.writeFileSync(metaFile, JSON.stringify({ partitions: spec.partitions }));
    this.writers.delete(spec.name);
  }

  partitionCount(topic: string): number {
    try {
      return (JSON.parse(fs.readFileSync(path.join(this.topicDir(topic), 'topic.json'), 'utf8')) as { partitions: number }).partitions;
    } catch {
      return 0;
    }
  }

  async produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new BusUnavailableError('the local log is closed');
    if (messages.length === 0) return;
    const writers = this.writersFor(topic);
    const perPartition = new Map<number, { key: string; value: Buffer; timestamp: number }[]>();
    const now = Date.now();
    for (const m of messages) {
      const p = partitionFor(m.key, writers.length);
      let list = perPartition.get(p);
      if (!list) perPartition.set(p, (list = []));
      list.push({ key: m.key, value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value, timestamp: m.timestamp ?? now });
    }
    try {
      await Promise.all([...perPartition].map(([p, records]) => writers[p].append(records)));
    } catch (err) {
      throw new BusUnavailableError(`local log append to ${topic} failed`, { cause: err });
    }
    this.appended.emit(topic);
  }

  consumer(options: ConsumerOptions): BusConsumer {
    return new LocalConsumer(this, options);
  }

  async resetOffsets(group: string, topic: string, to: StartPosition): Promise<void> {
    const ends = await this.endOffsets(topic);
    const offsets: Record<number, number> = {};
    ends.forEach((end, p) => {
      if ('partitionOffsets' in to) offsets[p] = Math.min(to.partitionOffsets[p] ?? 0, end);
      else if ('timestamp' in to) offsets[p] = this.offsetForTimestamp(topic, p, to.timestamp);
      else offsets[p] = to.offset === 'latest' ? end : 0;
    });
    await this.groups.write(group, topic, offsets);
  }

  async endOffsets(topic: string): Promise<number[]> {
    const n = this.partitionCount(topic);
    if (!this.opts.readOnly) return this.writersFor(topic).map((w) => w.endOffset);
    return Array.from({ length: n }, (_, p) => {
      const reader = new PartitionReader(this.partitionDir(topic, p), 0);
      while (reader.read(100_000).length > 0);
      reader.close();
      return reader.next;
    });
  }

  partitionDir(topic: string, partition: number): string {
    return path.join(this.topicDir(topic), String(partition));
  }

  enforceRetention(cutoff: number): number {
    let deleted = 0;
    for (const writers of this.writers.values()) for (const w of writers) deleted += w.deleteOlderThan(cutoff);
    return deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.groups.flush();
    for (const writers of this.writers.values()) for (const w of writers) w.close();
    this.writers.clear();
    this.releaseLock();
  }

  private offsetForTimestamp(topic: string, partition: number, timestamp: number): number {
    return this.writersFor(topic)[partition].offsetForTimestamp(timestamp);
  }

  private writersFor(topic: string): PartitionWriter[] {
    let writers = this.writers.get(topic);
    if (writers) return writers;
    const n = this.partitionCount(topic);
    if (n === 0) throw new BusUnavailableError(`topic ${topic} does not exist (ensureTopic first)`);
    if (this.opts.readOnly) throw new Error(`this local log is read-only: it cannot write ${topic}`);
    const segmentBytes = this.opts.segmentBytes ?? 64 << 20;
    writers = Array.from({ length: n }, (_, p) => new PartitionWriter(this.partitionDir(topic, p), { segmentBytes, fsync: this.opts.fsync ?? true }));
    this.writers.set(topic, writers);
    return writers;
  }

  private topicDir(topic: string): string {
    return path.join(this.opts.dir, 'topics', encodeURIComponent(topic));
  }
}
