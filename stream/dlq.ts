import type { DlqEntry } from '../warehouse/live-store';
import type { BatchHandler, OutgoingMessage } from './bus';
import type { LiveStore } from '../warehouse/live-store';

/** A DLQ record on the bus: the entry plus where the event came from, as JSON. */
export function toDlqMessage(entry: DlqEntry, key: string): OutgoingMessage {
  return { key, value: JSON.stringify(entry), timestamp: entry.failed_at };
}

/** The id of a payload that is at least an object with a string event_id, else null. */
export function eventIdOf(input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null;
  const id = (input as Record<string, unknown>).event_id;
  return typeof id === 'string' ? id.slice(0, 128) : null;
}

/** Consumer of events.dlq that keeps the DLQ queryable as a table of the live store. */
export function createDlqSinkHandler(store: LiveStore): BatchHandler {
  return async (batch) => {
    const entries: DlqEntry[] = [];
    for (const m of batch.messages) {
      try {
        entries.push(JSON.parse(m.value.toString('utf8')) as DlqEntry);
      } catch {
        // Only the platform writes this topic; a record it cannot read is still kept, verbatim.
        entries.push({ stage: 'dlq', reason: 'dlq_record_unreadable', rule: null, errors: [], event_id: null, payload: m.value.toString('utf8'), failed_at: m.timestamp });
      }
    }
    await store.writeDlq(entries);
  };
}
