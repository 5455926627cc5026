import type { EachBatchPayload } from 'kafkajs';
import type { Logger } from '../../../lib/logger';
import type { BatchOutcome, BusMessage } from '../../bus';

/**
 * How a consumer commits what its handler finished, and how it tells a rebalance from other
 * failures. A commit is the point after which a message is never delivered again, so it only
 * ever covers partitions the member owns in its current generation.
 */

/** A handler call that threw (already reported through onError): its chunks are delivered again. */
export class HandlerFailed extends Error {
  constructor(cause: unknown) {
    super('the batch handler failed', { cause });
  }
}

/** Errors after which the member must rejoin the group (its generation is over). */
const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP', 'FENCED_INSTANCE_ID']);
export const needsRejoin = (err: unknown): boolean => typeof err === 'object' && err !== null && REJOIN_ERRORS.has(String((err as { type?: unknown }).type));

/**
 * Commits one handler call: the handler's `{ commit }` if it gave one, else the offset after
 * the last message of each partition in the call, in both cases only for `assigned` partitions.
 */
export async function commitHandled(
  payload: EachBatchPayload,
  outcome: BatchOutcome,
  messages: BusMessage[],
  assigned: ReadonlySet<number>,
  log: { logger?: Logger; group: string },
): Promise<void> {
  const { topic } = payload.batch;
  let wanted: [number, number][];
  if (outcome) wanted = Object.entries(outcome.commit).map(([p, o]) => [Number(p), o]);
  else {
    const next = new Map<number, number>();
    for (const m of messages) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1));
    wanted = [...next];
  }
  // Never commit for a partition this member does not own (the broker would accept it from any
  // member of the current generation).
  const partitions = wanted.filter(([p, o]) => assigned.has(p) && Number.isSafeInteger(o) && o >= 0).map(([p, o]) => ({ partition: p, offset: String(o) }));
  if (partitions.length === 0) return;
  try {
    await payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions }] });
  } catch (err) {
    // Thrown on to kafkajs by every eachBatch of the call: a rebalance makes it rejoin (the next
    // owner starts at the last commit); anything else makes it fetch again from the last
    // resolved offsets, i.e. these chunks.
    if (needsRejoin(err)) log.logger?.debug({ err, group: log.group }, 'kafka commit refused: group is rebalancing');
    else log.logger?.warn({ err, group: log.group }, 'kafka commit failed; the chunks will be delivered again');
    throw err;
  }
}
