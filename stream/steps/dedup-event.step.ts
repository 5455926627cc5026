import { dedupKey } from '../../contract/event-id';
import type { StorefrontEvent } from '../../contract/events';
import { drop, ok, type StepResult } from '../step-result';
import type { SeenIds } from './seen-ids';

/**
 * Drops an event whose event_id was stored before (within the window) or already appeared
 * earlier in the same batch (`inBatch`, owned by the caller for one batch). Ids are compared
 * by their dedup key (any case, with or without `urn:uuid:`).
 */
export function createDedupStep(seen: SeenIds) {
  return (event: StorefrontEvent, inBatch: Set<string>): StepResult<StorefrontEvent> => {
    const key = dedupKey(event.event_id);
    if (seen.has(key) || inBatch.has(key)) return drop('duplicate_event_id');
    inBatch.add(key);
    return ok(event);
  };
}
