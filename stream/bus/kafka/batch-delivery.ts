import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../../lib/logger';
import type { BatchHandler, BatchOutcome, BusMessage } from '../../bus';
import { Coalescer, type Chunk } from './coalescer';
import { commitHandled, HandlerFailed, needsRejoin } from './consumer-commit';
import { DEFAULT_MAX_BATCH, type ConsumerTuning } from './consumer-settings';

/**
 * The delivery half of a group member (KafkaBusConsumer holds the membership half): kafkajs's
 * eachBatch calls come in here, are cut into chunks, coalesced into handler calls, committed
 * and resolved. The delivery guarantees are described on KafkaBusConsumer.
 */

/** What a member's run loop and its deliveries share; lives as long as the member. */
export class MemberState {
  stopping = false;
  /** Partitions of the topic this member owns in its current generation. */
  assigned = new Set<number>();
  /** A rebalance seen by a heartbeat during a handler: rethrown to kafkajs so it rejoins. */
  rejoin: unknown;
  private readonly wakers = new Set<() => void>();

  /** A backoff that stop() or a rebalance (wakeAll) cuts short; none once stopping. */
  sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakers.add(finish);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}

export interface DeliveryContext {
  group: string;
  maxBatchSize?: number;
  tuning: ConsumerTuning;
  logger?: Logger;
  handler: BatchHandler;
  onError: (err: unknown) => void;
}

function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    timestamp: Number(m.timestamp),
  };
}

/** One run() of a member: its handler, its coalescer and its run of handler failures. */
export class BatchDelivery {
  private failures = 0;
  private readonly coalescer: Coalescer<EachBatchPayload>;

  constructor(
    private readonly member: MemberState,
    private readonly ctx: DeliveryContext,
  ) {
    this.coalescer = new Coalescer<EachBatchPayload>(this.maxBatch(), (messages, chunks) => this.handleCall(messages, chunks));
  }

  async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const member = this.member;
    const max = this.maxBatch();
    const live = () => this.owns(payload);
    for (let start = 0; start < batch.messages.length; start += max) {
      if (member.rejoin && !member.stopping) throw member.rejoin;
      // Not running (stop() began), a seek pending, or the partition is no longer ours: leave the
      // rest unresolved and uncommitted; whoever owns the partition next reads it again.
      if (!live()) return;
      // A rebalance is only learnt from a heartbeat. kafkajs sends one after each fetched batch
      // (up to maxBytesPerPartition of messages), so ask between chunks too (it is rate-limited
      // to heartbeatInterval): a member joining takes its partitions within about a second.
      await this.heartbeat(payload);
      if (member.rejoin && !member.stopping) throw member.rejoin;
      const slice = batch.messages.slice(start, start + max);
      const fate = await this.coalescer.submit({ messages: slice.map((m) => toBusMessage(batch.topic, batch.partition, m)), payload, live });
      if (fate.kind === 'dropped') {
        if (member.rejoin && !member.stopping) throw member.rejoin;
        return;
      }
      if (fate.kind === 'failed') {
        // The handler threw: neither committed nor resolved, the next fetch of this partition
        // starts at this chunk. A failed commit goes on to kafkajs (see commitHandled).
        if (!(fate.error instanceof HandlerFailed)) throw fate.error;
        if (member.rejoin && !member.stopping) throw member.rejoin;
        return;
      }
      payload.resolveOffset(slice[slice.length - 1].offset);
    }
    if (member.rejoin && !member.stopping) throw member.rejoin;
  }

  /** One handler call over the chunks of one or more partitions, then one commit for all of them. */
  private async handleCall(messages: BusMessage[], chunks: Chunk<EachBatchPayload>[]): Promise<void> {
    const payload = chunks[0].payload;
    const keepAlive = this.keepAlive(payload);
    try {
      let outcome: BatchOutcome;
      try {
        outcome = await this.ctx.handler({ messages });
      } catch (err) {
        this.ctx.onError(err);
        await this.member.sleep(Math.min(this.ctx.tuning.maxBackoffMs, 100 * 2 ** this.failures++));
        throw new HandlerFailed(err);
      }
      this.failures = 0;
      await commitHandled(payload, outcome, messages, this.member.assigned, { logger: this.ctx.logger, group: this.ctx.group });
    } finally {
      keepAlive.stop();
    }
  }

  /** Whether a chunk of this batch may still go to the handler (a pending rebalance: no, rejoin first). */
  private owns(payload: EachBatchPayload): boolean {
    const m = this.member;
    return !m.stopping && !m.rejoin && payload.isRunning() && !payload.isStale() && m.assigned.has(payload.batch.partition);
  }

  private maxBatch(): number {
    return Math.max(1, Math.floor(this.ctx.maxBatchSize ?? DEFAULT_MAX_BATCH));
  }

  /** Heartbeats while a handler runs (or backs off), so a slow sink does not cost the partitions. */
  private keepAlive(payload: EachBatchPayload): { stop: () => void } {
    const timer = setInterval(
      () => {
        void this.heartbeat(payload);
      },
      Math.max(100, Math.floor(this.ctx.tuning.heartbeatIntervalMs / 2)),
    );
    return { stop: () => clearInterval(timer) };
  }

  /** Heartbeats if due; a rebalance is recorded in `rejoin` (and wakes a backoff), other errors are left to kafkajs. */
  private async heartbeat(payload: EachBatchPayload): Promise<void> {
    try {
      await payload.heartbeat();
    } catch (err) {
      if (!needsRejoin(err)) return;
      this.member.rejoin ??= err;
      this.member.wakeAll();
    }
  }
}
