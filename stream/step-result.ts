/**
 * What a stream step returns. Bad data is a value, never an exception: only the consumer
 * loop turns results into bus actions (store, DLQ, skip, commit).
 */
export type StepResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'dlq'; reason: string; rule: string | null; errors: string[] };

export const ok = <T>(value: T): StepResult<T> => ({ kind: 'ok', value });
export const drop = (reason: string): StepResult<never> => ({ kind: 'drop', reason });
export const dlq = (reason: string, errors: string[] = [], rule: string | null = null): StepResult<never> => ({ kind: 'dlq', reason, rule, errors });
