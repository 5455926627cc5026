import type { StorefrontEvent } from '../../contract/events';
import { drop, ok, type StepResult } from '../step-result';
import type { SeenIds } from './seen-ids';

/**
 * Drops an event whose event_id was stored before (within the window) or already appeared
 * earlier in the same batch (`inBatch`, owned by the caller for one batch).
 */
export function createDedupStep(seen: SeenIds) {
  return (event: StorefrontEvent, inBatch: Set<string>): StepResult<StorefrontEvent> => {
    if (seen.has(event.event_id) || inBatch.has(event.event_id)) return drop('duplicate_event_id');
    inBatch.add(event.event_id);
    return ok(event);
  };
}
