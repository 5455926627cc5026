import type { StorefrontEvent } from '../contract/events';
import { createEventValidator } from '../contract/validate';
import { createGenerator } from '../ingest/generator/generator';
import { createApplyRulesStep } from '../stream/rules/apply-rules.step';
import { compileRuleSet } from '../stream/rules/compile-ruleset';
import { bundledRulesDir, readRuleSetSources } from '../stream/rules/load-ruleset';
import { RuleFile } from '../stream/rules/rule-file';
import { report, resourceMeter, stats } from './lib/report';

/**
 * The rule engine with 50 rules (the shipped set, topped up with rules of the same shapes
 * that rarely fire) against schema validation alone (ajv, compiled once): the baseline of
 * the same run, on the same generated events. Rounds alternate A B C A B C after a warm-up:
 * A validation alone, B validation + rules (the real-time path's per-event work), C rules alone.
 */
const OPS = [
  (i: number) => ({ field: 'properties.price', op: 'gt', value: 1e9 + i }),
  (i: number) => ({ field: 'context.locale', op: 'in', value: [`xx-${i}`, `yy-${i}`] }),
  (i: number) => ({ field: 'context.page_url', op: 'contains', value: `/never-${i}/` }),
  (i: number) => ({ all: [{ field: 'properties.category', op: 'starts_with', value: `zz${i}.` }, { field: 'properties.price', op: 'lt', value: 1 }] }),
  (i: number) => ({ any: [{ field: 'properties.brand', op: 'eq', value: `brand-${i}` }, { field: '$age_ms', op: 'gt', value: 1e12 + i }] }),
];

export function fiftyRules() {
  const src = readRuleSetSources(bundledRulesDir());
  const shipped = src.files.reduce((n, f) => n + f.rules.length, 0);
  const extra = Array.from({ length: 50 - shipped }, (_, i) => ({ id: `bench_extra_${i}`, description: 'benchmark filler', category: 'validity', when: OPS[i % OPS.length](i), action: { type: 'tag' }, score: 0.9 }));
  src.files.push({ name: 'bench.json', rules: RuleFile.parse({ rules: extra }).rules });
  return compileRuleSet(src);
}

export async function rulesBench(opts: { events: number; rounds: number }) {
  let t = Date.UTC(2026, 10, 23, 10);
  const events: StorefrontEvent[] = createGenerator({ seed: 7, now: () => (t += 50) }).batch(opts.events);
  const receivedAt = events.map((e) => Date.parse(e.occurred_at) + 200);
  const set = fiftyRules();
  const validate = createEventValidator();
  const rules = createApplyRulesStep({ rules: () => set, threshold: 0.5 });
  let sink = 0;
  const modes: Record<string, () => void> = {
    validation: () => { for (const e of events) sink += validate(e).ok ? 1 : 0; },
    validation_and_rules: () => {
      for (let i = 0; i < events.length; i++) {
        const v = validate(events[i]);
        if (v.ok) sink += rules(v.event, receivedAt[i]).kind === 'ok' ? 1 : 0;
      }
    },
    rules_only: () => { for (let i = 0; i < events.length; i++) sink += rules(events[i], receivedAt[i]).kind === 'ok' ? 1 : 0; },
  };
  const perSec: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  for (const run of Object.values(modes)) run(); // warm-up: JIT and the session state
  const meter = resourceMeter();
  for (let r = 0; r < opts.rounds; r++) {
    for (const [name, run] of Object.entries(modes)) {
      const start = process.hrtime.bigint();
      run();
      perSec[name].push(events.length / (Number(process.hrtime.bigint() - start) / 1e9));
    }
  }
  const usage = meter();
  const s = Object.fromEntries(Object.entries(perSec).map(([k, v]) => [k, stats(v)]));
  const base = s.validation.median;
  const rows = Object.entries(s).map(([mode, st]) => ({ mode, 'events/s (median)': Math.round(st.median), 'min–max': `${Math.round(st.min)}–${Math.round(st.max)}`, 'vs validation': (st.median / base).toFixed(2), 'µs/event': (1e6 / st.median).toFixed(2) }));
  const results = { rules: set.rules.length, rulesVersion: set.version, eventsPerSec: s, ratios: { validation_and_rules_vs_validation: s.validation_and_rules.median / base, rules_only_vs_validation: s.rules_only.median / base }, target: { rules_only_events_per_sec: 200_000, met: s.rules_only.median >= 200_000 }, ...usage, checksum: sink };
  report('rules', { events: opts.events, rounds: opts.rounds, rules: set.rules.length }, rows, results);
  return results;
}
