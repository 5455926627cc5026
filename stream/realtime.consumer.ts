import type { EventValidator } from '../contract/validate';
import type { Logger } from '../lib/logger';
import type { Metrics } from '../lib/metrics';
import type { DlqEntry, LiveEvent, LiveStore, Watermarks } from '../warehouse/live-store';
import { TOPICS, type BatchHandler, type Bus, type OutgoingMessage, type Topics } from './bus';
import { eventIdOf, toDlqMessage } from './dlq';
import type { QualityRecorder, QualityOutcome } from './quality/quality-report';
import { createBundledRuleStep, type RuleStep } from './rules/apply-rules.step';
import { createDedupStep } from './steps/dedup-event.step';
import { parseEvent } from './steps/parse-event.step';
import type { SeenIds } from './steps/seen-ids';
import { toLiveEvent } from './steps/to-live-event';
import { createValidateSchemaStep } from './steps/validate-schema.step';

export interface RealtimeDeps {
  bus: Bus;
  store: LiveStore;
  validator: EventValidator;
  seen: SeenIds;
  metrics: Metrics;
  logger: Logger;
  /** The rule engine step; by default the rules shipped in the package's rules/ folder. */
  clean?: RuleStep;
  /** Per-hour data-quality counters (stream/quality), fed once a batch is stored. */
  quality?: QualityRecorder;
  topics?: Topics;
  now?: () => number;
}

/**
 * The real-time path for one batch: parse → validate → rules (clean) → dedup → live store.
 * Every input ends in exactly one place: the live store, the DLQ (with its reason), or
 * dropped as a duplicate of an event already stored. The DLQ is made durable before the
 * store write, and the store write is idempotent, so the bus may commit afterwards.
 */
export function createRealtimeHandler(deps: RealtimeDeps): BatchHandler {
  const validate = createValidateSchemaStep(deps.validator);
  const dedup = createDedupStep(deps.seen);
  const clean = deps.clean ?? createBundledRuleStep();
  const now = deps.now ?? Date.now;
  const topics = deps.topics ?? TOPICS;
  const { metrics } = deps;

  return async (batch) => {
    const stop = metrics.batchSeconds.startTimer({ stage: 'realtime' });
    const rows: LiveEvent[] = [];
    const dlqOut: OutgoingMessage[] = [];
    const next: Watermarks = {};
    const inBatch = new Set<string>();
    let duplicates = 0;
    const outcomes: QualityOutcome[] = [];
    const toDlq = (r: { reason: string; rule: string | null; errors: string[] }, payload: Buffer, parsed: unknown, key: string) => {
      outcomes.push({ fate: 'dlq', type: eventTypeOf(parsed), reason: r.reason, rule: r.rule });
      const entry: DlqEntry = { stage: 'realtime', reason: r.reason, rule: r.rule, errors: r.errors, event_id: eventIdOf(parsed), payload: payload.toString('utf8'), failed_at: now() };
      dlqOut.push(toDlqMessage(entry, key));
      metrics.dlq.inc({ stage: 'realtime', reason: r.reason });
    };

    for (let i = 0; i < batch.messages.length; i++) {
      // A big batch is tens of milliseconds of work: let the bus's appends (ingest's acks)
      // and the API's queries in between, every 1,000 events.
      if (i > 0 && i % 1000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const m = batch.messages[i];
      next[m.partition] = Math.max(next[m.partition] ?? 0, m.offset + 1);
      const parsed = parseEvent(m.value);
      if (parsed.kind !== 'ok') {
        if (parsed.kind === 'dlq') toDlq(parsed, m.value, null, m.key);
        continue;
      }
      const valid = validate(parsed.value);
      if (valid.kind !== 'ok') {
        if (valid.kind === 'dlq') toDlq(valid, m.value, parsed.value, m.key);
        continue;
      }
      const cleaned = clean(valid.value, m.timestamp);
      if (cleaned.kind !== 'ok') {
        if (cleaned.kind === 'dlq') toDlq(cleaned, m.value, parsed.value, m.key);
        continue;
      }
      const unique = dedup(cleaned.value.event, inBatch);
      if (unique.kind !== 'ok') {
        duplicates++;
        outcomes.push({ fate: 'duplicate', type: cleaned.value.event.event_type });
        continue;
      }
      rows.push(toLiveEvent(unique.value, { partition: m.partition, offset: m.offset, receivedAt: m.timestamp }, cleaned.value.quality));
      outcomes.push({ fate: 'stored', type: unique.value.event_type, rulesHit: cleaned.value.quality.rulesHit });
    }

    metrics.eventsIn.inc({ stage: 'realtime' }, batch.messages.length);
    if (dlqOut.length > 0) await deps.bus.produce(topics.dlq, dlqOut);
    const { written } = await deps.store.write(batch.messages[0]?.topic ?? topics.raw, rows, next);
    deps.seen.add(inBatch, now());
    deps.quality?.record(outcomes, now());
    metrics.eventsOut.inc({ stage: 'realtime', outcome: 'stored' }, written);
    metrics.eventsOut.inc({ stage: 'realtime', outcome: 'dlq' }, dlqOut.length);
    metrics.eventsOut.inc({ stage: 'realtime', outcome: 'duplicate' }, duplicates + rows.length - written);
    stop();
  };
}

function eventTypeOf(parsed: unknown): string | null {
  const type = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).event_type : undefined;
  return typeof type === 'string' ? type.slice(0, 64) : null;
}
