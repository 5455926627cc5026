import { z } from 'zod';

/**
 * The on-disk format of a rule set, checked in full before anything is compiled: a rules
 * folder holds `ruleset.json` (declared version, params, named lists, rule files in order),
 * the rule files and the list files. Everything is data; nothing in these files is ever
 * evaluated as code (see conditions.ts for the small condition language).
 */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const segment = /^(?:[A-Za-z_][A-Za-z0-9_]{0,63}|\d{1,4})$/;

/** A dotted path into the event (`properties.price`) or a computed field (`$age_ms`). */
export const FieldPath = z.string().max(200).refine(
  (p) => p.split('.').every((s) => segment.test(s.replace(/^\$/, '')) && !FORBIDDEN_SEGMENTS.has(s)),
  { message: 'must be a dotted path of plain names (no __proto__, constructor or prototype)' },
);

const Scalar = z.union([z.string().max(4096), z.number().finite(), z.boolean(), z.null()]);
/** A literal, or a named parameter resolved when the rule set is compiled. */
export const Operand = z.union([Scalar, z.array(Scalar).max(10_000), z.object({ param: z.string().regex(/^[a-z][a-z0-9_]*$/) }).strict()]);

export const OPS = ['exists', 'missing', 'is_blank', 'eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'in_list', 'not_in_list', 'matches_list', 'is_type'] as const;
export type Op = (typeof OPS)[number];

export type ConditionDef =
  | { all: ConditionDef[] }
  | { any: ConditionDef[] }
  | { not: ConditionDef }
  | { field: string; op: Op; value?: z.infer<typeof Operand>; list?: string };

export const Condition: z.ZodType<ConditionDef> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(Condition).min(1).max(100) }).strict(),
    z.object({ any: z.array(Condition).min(1).max(100) }).strict(),
    z.object({ not: Condition }).strict(),
    z.object({ field: FieldPath, op: z.enum(OPS), value: Operand.optional(), list: z.string().regex(/^[a-z][a-z0-9_]*$/).optional() }).strict(),
  ]),
);

export const DERIVE_FUNCTIONS = ['truncate_ip', 'scrub_emails', 'lowercase', 'uppercase', 'trim'] as const;
export const NORMALISE_TO = ['lower', 'upper', 'trim', 'trim_lower', 'trim_upper'] as const;

export const Action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('set'), field: FieldPath, value: Scalar }).strict(),
  z.object({ type: z.literal('unset'), field: FieldPath }).strict(),
  /** `empty`: what becomes of a value that normalises to '' (default: removed; `keep` for fields the contract requires). */
  z.object({ type: z.literal('normalise'), field: FieldPath, to: z.enum(NORMALISE_TO), empty: z.enum(['remove', 'keep']).default('remove') }).strict(),
  z.object({ type: z.literal('derive'), field: FieldPath, fn: z.enum(DERIVE_FUNCTIONS), from: FieldPath.optional() }).strict(),
  z.object({ type: z.literal('tag') }).strict(),
  z.object({ type: z.literal('quarantine'), reason: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/) }).strict(),
  z.object({ type: z.literal('drop_as_bot') }).strict(),
]);
export type ActionDef = z.infer<typeof Action>;

export const CATEGORIES = ['bot', 'late', 'validity', 'identity', 'privacy', 'normalisation'] as const;
export type Category = (typeof CATEGORIES)[number];

export const Rule = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'rule ids are snake_case'),
  description: z.string().min(1).max(1000),
  category: z.enum(CATEGORIES),
  /** Event types the rule applies to; all types when absent. */
  types: z.array(z.string()).min(1).optional(),
  when: Condition,
  action: Action,
  /** Quality of an event that hits the rule (1 harmless … 0 worthless) and how sure the rule is. */
  score: z.number().min(0).max(1).default(1),
  confidence: z.number().min(0).max(1).default(1),
}).strict();
export type RuleDef = z.infer<typeof Rule>;

export const RuleFile = z.object({ description: z.string().optional(), rules: z.array(Rule).max(1000) }).strict();

export const ListFile = z.object({ description: z.string().optional(), source: z.string().optional(), entries: z.array(z.string().min(1).max(256)).min(1).max(100_000) }).strict();

export const RuleSetFile = z.object({
  version: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
  description: z.string().optional(),
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().finite()).default({}),
  lists: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.string()).default({}),
  files: z.array(z.string()).min(1).max(200),
}).strict();
export type RuleSetFileDef = z.infer<typeof RuleSetFile>;
