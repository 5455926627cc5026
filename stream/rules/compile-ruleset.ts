import { createHash } from 'node:crypto';
import { EVENT_TYPES } from '../../contract/events';
import { compileAction, type CompiledAction } from './actions';
import { compileTest, type Test } from './conditions';
import { usesSession } from './facts';
import { FieldSlots, type FieldView } from './field-view';
import type { Category, ConditionDef, RuleDef, RuleSetFileDef } from './rule-file';

/** A rule set as read from disk and checked against the file format, not yet compiled. */
export interface RuleSetSources {
  manifest: RuleSetFileDef;
  files: { name: string; rules: RuleDef[] }[];
  lists: Map<string, string[]>;
  /** Hash of every file's bytes: part of the version, so an edit without a version bump still shows. */
  digest: string;
}

export interface CompiledRule {
  id: string;
  category: Category;
  description: string;
  when: Test;
  action: CompiledAction;
  /** What a hit multiplies the quality score by: 1 − confidence × (1 − score). */
  factor: number;
  /** The field slots a fix of this rule can change (none for other actions). */
  stale: Int32Array;
}

export interface CompiledRuleSet {
  /** `<declared version>+<8 hex of the content and effective params>`: stored with every event. */
  version: string;
  rules: readonly CompiledRule[];
  forType(type: string): readonly CompiledRule[];
  /** True when some rule reads `$session.*`, so the engine must track sessions. */
  usesSession: boolean;
  categoryOf(ruleId: string): Category | undefined;
  /** A fresh view over the fields the rules read, for one evaluator (it holds the current event). */
  createView(): FieldView;
}

/**
 * Compiles checked sources into closures, indexed by event type. `overrides` are params from
 * the platform's configuration (the late-event horizon); they win over the file's defaults.
 * Throws with the rule id on anything that cannot compile: a set is swapped in whole or not at all.
 */
export function compileRuleSet(src: RuleSetSources, overrides: Record<string, number> = {}): CompiledRuleSet {
  const params = { ...src.manifest.params, ...overrides };
  const env = { params, lists: src.lists };
  const rules: CompiledRule[] = [];
  const byType = new Map<string, CompiledRule[]>(EVENT_TYPES.map((t) => [t, []]));
  const seen = new Set<string>();
  const slots = new FieldSlots();
  let session = false;
  for (const file of src.files) {
    for (const def of file.rules) {
      const where = `rule ${def.id} (${file.name})`;
      if (seen.has(def.id)) throw new Error(`${where}: the id is used twice`);
      seen.add(def.id);
      for (const t of def.types ?? []) if (!byType.has(t)) throw new Error(`${where}: unknown event type ${t} (known: ${EVENT_TYPES.join(', ')})`);
      let rule: CompiledRule;
      try {
        rule = { id: def.id, category: def.category, description: def.description, when: compileTest(def.when, env, slots), action: compileAction(def.action, slots), factor: 1 - def.confidence * (1 - def.score), stale: new Int32Array(0) };
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
      }
      session ||= fields(def.when).some(usesSession);
      rules.push(rule);
      for (const t of def.types ?? EVENT_TYPES) byType.get(t)!.push(rule);
    }
  }
  // Once every condition has its slots: a fix may change fields that later rules read.
  for (const rule of rules) if (rule.action.kind === 'fix') rule.stale = slots.affectedBy(rule.action.field);
  const effective = createHash('sha256').update(src.digest).update(JSON.stringify(Object.entries(params).sort())).digest('hex').slice(0, 8);
  const categories = new Map(rules.map((r) => [r.id, r.category]));
  const none: CompiledRule[] = [];
  return {
    version: `${src.manifest.version}+${effective}`,
    rules,
    forType: (type) => byType.get(type) ?? none,
    usesSession: session,
    categoryOf: (id) => categories.get(id),
    createView: () => slots.view(),
  };
}

function fields(c: ConditionDef): string[] {
  if ('all' in c) return c.all.flatMap(fields);
  if ('any' in c) return c.any.flatMap(fields);
  if ('not' in c) return fields(c.not);
  return [c.field];
}
