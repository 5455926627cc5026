import type { StorefrontEvent } from '../../contract/events';
import type { EventValidator } from '../../contract/validate';
import { dlq, ok, type StepResult } from '../step-result';

/** Checks the event against its type's schema version (compiled once, in the validator). */
export function createValidateSchemaStep(validate: EventValidator) {
  return (input: unknown): StepResult<StorefrontEvent> => {
    const v = validate(input);
    return v.ok ? ok(v.event) : dlq(v.reason, v.errors);
  };
}
