import { createEventValidator } from '../contract/validate';
import type { SendResult } from '../ingest/client';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { topicNames, type Bus } from '../stream/bus';
import { createApplyRulesStep } from '../stream/rules/apply-rules.step';
import { loadRuleSet } from '../stream/rules/load-ruleset';
import { parseScanFrom, scanTopic } from '../stream/rules/scan-topic';
import type { DlqEntry } from '../warehouse/live-store';
import { openBus } from './adapters';

export interface DlqReplayOptions {
  since: string;
  reason?: string;
  rule?: string;
  /** Count what would be re-sent, send nothing. */
  dryRun?: boolean;
  batchSize: number;
}

export interface DlqReplayTotals {
  read: number;
  /** DLQ records left out by --reason / --rule. */
  skipped: number;
  /** Payloads that are still not JSON: no rule can fix them. */
  unreadable: number;
  /** Still rejected by the contract or the rules in force, by reason. */
  still_rejected: Record<string, number>;
  /** The same event_id more than once in the DLQ: sent once. */
  repeated: number;
  resent: number;
  accepted: number;
  rejected_by_ingest: number;
}

/**
 * `distributary dlq replay --since <position>`: after a rule fix, sends DLQ'd events that now
 * pass the contract and the rules in force back through ingest. They take the same path as
 * any event, so their event_ids make it idempotent: an event that was meanwhile stored, or
 * a replay run twice, is dropped as a duplicate by the real-time path, never stored twice.
 */
export async function replayDlq(opts: DlqReplayOptions, deps: { config: Config; logger: Logger; send: (events: unknown[]) => Promise<SendResult>; bus?: Bus; now?: () => number }): Promise<DlqReplayTotals> {
  const { config } = deps;
  const validate = createEventValidator();
  const set = loadRuleSet(config.rulesDir, { late_horizon_ms: config.lateEventMs });
  const rules = createApplyRulesStep({ rules: () => set, threshold: config.qualityThreshold });
  const now = deps.now ?? Date.now;
  const totals: DlqReplayTotals = { read: 0, skipped: 0, unreadable: 0, still_rejected: {}, repeated: 0, resent: 0, accepted: 0, rejected_by_ingest: 0 };
  const reject = (reason: string) => void (totals.still_rejected[reason] = (totals.still_rejected[reason] ?? 0) + 1);
  const sent = new Set<string>();
  let batch: unknown[] = [];
  const flush = async () => {
    if (batch.length === 0 || opts.dryRun) return void (batch = []);
    const r = await deps.send(batch);
    totals.accepted += r.accepted;
    totals.rejected_by_ingest += r.rejected.length;
    batch = [];
  };

  const bus = deps.bus ?? (await openBus(config, deps.logger, { readOnly: config.bus === 'local' }));
  try {
    await scanTopic({
      bus, topic: topicNames(config.topicPrefix).dlq, from: parseScanFrom(opts.since), groupPrefix: `${config.topicPrefix}dlq-replay`,
      onMessage: async (m) => {
        totals.read++;
        let entry: DlqEntry;
        let input: unknown;
        try {
          entry = JSON.parse(m.value.toString('utf8')) as DlqEntry;
        } catch {
          return void totals.unreadable++;
        }
        if ((opts.reason && entry.reason !== opts.reason) || (opts.rule && entry.rule !== opts.rule)) return void totals.skipped++;
        try {
          input = JSON.parse(entry.payload);
        } catch {
          return void totals.unreadable++;
        }
        const valid = validate(input);
        if (!valid.ok) return reject(valid.reason);
        const verdict = rules(valid.event, now());
        if (verdict.kind !== 'ok') return reject(verdict.reason);
        if (sent.has(valid.event.event_id)) return void totals.repeated++;
        sent.add(valid.event.event_id);
        totals.resent++;
        batch.push(input); // the original, not the fixed event: the live path applies the rules itself
        if (batch.length >= opts.batchSize) await flush();
      },
    });
    await flush();
  } finally {
    if (!deps.bus) await bus.close();
  }
  deps.logger.info({ step: 'dlq_replay', ...totals }, 'DLQ replay finished');
  return totals;
}
