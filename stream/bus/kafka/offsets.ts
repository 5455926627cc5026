import type { Admin } from 'kafkajs';
import { DistributaryError } from '../../../lib/errors';
import type { StartPosition } from '../../bus';

/**
 * Offset reads behind the bus's lag(), endOffsets() and resetOffsets(), each one admin call's
 * worth of work. They run inside AdminConnection.run, which turns broker failures into
 * BusUnavailableError; the offsets themselves are committed by group-offsets.ts.
 */

/** resetOffsets on a group that has running members. */
export class GroupActiveError extends DistributaryError {
  constructor(group: string, state: string) {
    super(`consumer group ${group} is ${state}: stop its members before moving its offsets`, 'group_active', false);
  }
}

/** Committed offsets vs high watermarks; a partition without a commit counts from its low watermark. */
export async function readLag(admin: Admin, group: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  let lag = 0;
  for (const e of ends) {
    const c = Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
    lag += Math.max(0, Number(e.high) - (c >= 0 ? c : Number(e.low)));
  }
  return lag;
}

/** Each partition's high watermark, indexed by partition. */
export async function readEndOffsets(admin: Admin, topic: string): Promise<number[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const out: number[] = [];
  for (const e of ends) out[e.partition] = Number(e.high);
  return out;
}

/** Where each partition of `topic` goes for `to`, clamped to what the log holds; GroupActiveError unless the group is idle. */
export async function resetTargets(admin: Admin, group: string, topic: string, to: StartPosition): Promise<Map<number, number>> {
  const { groups } = await admin.describeGroups([group]);
  const state = groups.find((g) => g.groupId === group)?.state ?? 'Dead';
  if (state !== 'Empty' && state !== 'Dead') throw new GroupActiveError(group, state);
  const ends = await admin.fetchTopicOffsets(topic);
  const byTime = 'timestamp' in to ? await admin.fetchTopicOffsetsByTimestamp(topic, to.timestamp) : [];
  const out = new Map<number, number>();
  for (const e of ends) {
    const low = Number(e.low);
    const high = Number(e.high);
    let offset: number;
    if ('partitionOffsets' in to) offset = to.partitionOffsets[e.partition] ?? low;
    else if ('timestamp' in to) offset = Number(byTime.find((b) => b.partition === e.partition)?.offset ?? high);
    else offset = to.offset === 'latest' ? high : low;
    out.set(e.partition, Math.min(high, Math.max(low, offset)));
  }
  return out;
}
