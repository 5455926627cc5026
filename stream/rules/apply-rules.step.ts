import type { StorefrontEvent } from '../../contract/events';
import { dlq, ok, type StepResult } from '../step-result';
import type { Quality } from '../steps/to-live-event';
import { Draft } from './actions';
import type { CompiledRule, CompiledRuleSet } from './compile-ruleset';
import type { Facts } from './facts';
import type { FieldView } from './field-view';
import { bundledRulesDir, loadRuleSet } from './load-ruleset';
import { SessionTracker } from './session-tracker';

export type RuleStepResult = StepResult<{ event: StorefrontEvent; quality: Quality }>;
/** `receivedAt`: the bus append time of the event (ms); late and future checks are relative to it. */
export type RuleStep = (event: StorefrontEvent, receivedAt?: number) => RuleStepResult;

/** The default of DISTRIBUTARY_QUALITY_THRESHOLD. */
export const DEFAULT_QUALITY_THRESHOLD = 0.5;

export interface RuleStepOptions {
  /** The rule set in force, read once per event: a reload swaps it between two events. */
  rules: () => CompiledRuleSet;
  /** Events whose quality score ends below this go to the DLQ as `low_quality`. */
  threshold: number;
  tracker?: SessionTracker;
}

/**
 * The rule engine as a step of the real-time path (it replaces the fixed cleaner, same shape).
 * Rules run in file order on the event as fixed so far. The first quarantine or bot verdict
 * ends the evaluation with its rule's reason; otherwise every hit multiplies the quality
 * score by its factor, and a score below the threshold quarantines the event, blaming the
 * rule that cost it most. An event that continues carries {score, rules hit, rules version}.
 */
export function createApplyRulesStep(opts: RuleStepOptions): RuleStep {
  const tracker = opts.tracker ?? new SessionTracker();
  const facts: Facts = { receivedAt: 0, occurredAt: 0, session: undefined };
  const draft = new Draft({});
  let viewOf: CompiledRuleSet | undefined;
  let view: FieldView | undefined;
  return (event, receivedAt = Date.now()) => {
    const set = opts.rules();
    if (set !== viewOf) {
      view = set.createView();
      viewOf = set;
    }
    try {
      facts.receivedAt = receivedAt;
      facts.occurredAt = parseInstant(event.occurred_at);
      facts.session = set.usesSession ? tracker.record(event.session_id, event.event_id, facts.occurredAt) : undefined;
      draft.reset(event as unknown as Record<string, unknown>);
      return evaluate(set, view!, draft, event, facts, opts.threshold);
    } catch (err) {
      // A rule that fails on some input must not block its partition: the event is kept, with the reason.
      return dlq('rule_error', [String((err as Error)?.message ?? err).slice(0, 300)], null);
    }
  };
}

function evaluate(set: CompiledRuleSet, view: FieldView, draft: Draft, event: StorefrontEvent, facts: Facts, threshold: number): RuleStepResult {
  view.load(draft.root, facts);
  const hits: string[] = [];
  let score = 1;
  let worst: CompiledRule | undefined;
  const rules = set.forType(event.event_type);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (!rule.when(view)) continue;
    const action = rule.action;
    if (action.kind === 'fix') {
      if (!action.apply(draft, view)) continue;
      view.changed(draft.root, rule.stale);
    }
    hits.push(rule.id);
    score *= rule.factor;
    if (!worst || rule.factor < worst.factor) worst = rule;
    if (action.kind === 'quarantine') return dlq(action.reason, [rule.description], rule.id);
    if (action.kind === 'bot') return dlq('bot', [rule.description], rule.id);
  }
  score = Math.round(score * 1000) / 1000;
  if (score < threshold) {
    return dlq('low_quality', [`quality ${score} is below the threshold ${threshold} (rules hit: ${hits.join(', ')})`], worst?.id ?? null);
  }
  return ok({ event: draft.root as unknown as StorefrontEvent, quality: { score, rulesHit: hits, rulesVersion: set.version } });
}

/** The step over the rules shipped with the package, for callers that configure none (tests, tools). */
export function createBundledRuleStep(threshold = DEFAULT_QUALITY_THRESHOLD): RuleStep {
  const set = loadRuleSet(bundledRulesDir());
  return createApplyRulesStep({ rules: () => set, threshold });
}

const digits = (s: string, from: number, to: number) => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
};

/**
 * Date.parse for the shape nearly every client sends (`2026-11-23T10:00:00.000Z`), a few
 * times faster; anything else, or a field out of the plain range (day 29+, a leap second),
 * goes to Date.parse, so results never differ.
 */
export function parseInstant(s: string): number {
  if (s.length === 24 && s.charCodeAt(23) === 90 && s.charCodeAt(10) === 84 && s.charCodeAt(19) === 46 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58) {
    const y = digits(s, 0, 4), mo = digits(s, 5, 7), d = digits(s, 8, 10);
    const h = digits(s, 11, 13), mi = digits(s, 14, 16), sec = digits(s, 17, 19), ms = digits(s, 20, 23);
    if (y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 59 && ms >= 0) {
      return daysSinceEpoch(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
    }
  }
  return Date.parse(s);
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil), for years from 1970: what Date.UTC works out, without its call into the runtime. */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1; // from 1 March
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}
