import type { EventValidator } from '../../contract/validate';
import type { BusMessage } from '../bus';
import { parseEvent } from '../steps/parse-event.step';
import type { RuleStep, RuleStepResult } from './apply-rules.step';

/**
 * Compares two rule sets on the same events without writing anything: each event is parsed,
 * validated and run through the rules in force and through the candidate (each with its own
 * session state), and every change of fate (stored ↔ DLQ, or another DLQ reason) is counted
 * under the rule that decided it, with a few samples. Deduplication is left out: it does not
 * depend on the rules.
 */
export interface FateChange {
  rule: string;
  from: string;
  to: string;
  events: number;
  samples: { event_id: string; partition: number; offset: number }[];
}

export interface DryRunReport {
  read: number;
  /** Events that failed parsing or the contract: the same fate under any rule set. */
  invalid: number;
  changed: number;
  /** Same fate, but other fixes or another score. */
  modified: number;
  changes: FateChange[];
  hits: { current: Record<string, number>; candidate: Record<string, number> };
}

const fateOf = (r: RuleStepResult) => (r.kind === 'ok' ? 'stored' : r.kind === 'dlq' ? `dlq:${r.reason}` : `drop:${r.reason}`);
type Kept = Extract<RuleStepResult, { kind: 'ok' }>['value'];
const differ = (a: Kept, b: Kept) => a.quality.score !== b.quality.score || a.quality.rulesHit.join() !== b.quality.rulesHit.join() || (a.event !== b.event && JSON.stringify(a.event) !== JSON.stringify(b.event));
const ruleOf = (r: RuleStepResult) => (r.kind === 'dlq' ? r.rule ?? r.reason : undefined);

export function createDryRun(opts: { validator: EventValidator; current: RuleStep; candidate: RuleStep; samples?: number }) {
  const report: DryRunReport = { read: 0, invalid: 0, changed: 0, modified: 0, changes: [], hits: { current: {}, candidate: {} } };
  const byKey = new Map<string, FateChange>();
  const count = (into: Record<string, number>, r: RuleStepResult) => {
    const ids = r.kind === 'ok' ? r.value.quality.rulesHit : r.kind === 'dlq' && r.rule ? [r.rule] : [];
    for (const id of ids) into[id] = (into[id] ?? 0) + 1;
  };

  return {
    add(m: BusMessage): void {
      report.read++;
      const parsed = parseEvent(m.value);
      const valid = parsed.kind === 'ok' ? opts.validator(parsed.value) : undefined;
      if (!valid?.ok) return void report.invalid++;
      const before = opts.current(valid.event, m.timestamp);
      const after = opts.candidate(valid.event, m.timestamp);
      count(report.hits.current, before);
      count(report.hits.candidate, after);
      const [from, to] = [fateOf(before), fateOf(after)];
      if (from === to) {
        if (before.kind === 'ok' && after.kind === 'ok' && differ(before.value, after.value)) report.modified++;
        return;
      }
      report.changed++;
      const rule = ruleOf(after) ?? ruleOf(before)!;
      const key = `${rule}\0${from}\0${to}`;
      let change = byKey.get(key);
      if (!change) byKey.set(key, (change = { rule, from, to, events: 0, samples: [] }));
      change.events++;
      if (change.samples.length < (opts.samples ?? 3)) change.samples.push({ event_id: valid.event.event_id, partition: m.partition, offset: m.offset });
    },
    report(): DryRunReport {
      return { ...report, changes: [...byKey.values()].sort((a, b) => b.events - a.events || a.rule.localeCompare(b.rule)) };
    },
  };
}

/** The report as the CLI prints it: a summary line and one row per (rule, change). */
export function formatDryRun(r: DryRunReport, versions: { current: string; candidate: string }): string {
  const pct = (n: number) => (r.read ? `${((n / r.read) * 100).toFixed(2)}%` : '0%');
  const lines = [
    `rules ${versions.current} → candidate ${versions.candidate}`,
    `read ${r.read} events (${r.invalid} fail the contract either way); fate changes: ${r.changed} (${pct(r.changed)}); same fate, other fixes or score: ${r.modified}`,
  ];
  if (r.changes.length === 0) return [...lines, 'no event would change fate'].join('\n');
  const rows = r.changes.map((c) => [c.rule, `${c.from} → ${c.to}`, String(c.events), c.samples.map((s) => `${s.event_id} (p${s.partition}@${s.offset})`).join(', ')]);
  const head = ['rule', 'change', 'events', 'samples'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]))).join('  ');
  return [...lines, fmt(head), ...rows.map(fmt)].join('\n');
}
