import type { StorefrontEvent } from '../../contract/events';
import { ok, type StepResult } from '../step-result';
import type { Quality } from './to-live-event';

export const BUILTIN_RULES_VERSION = 'builtin-1';

/**
 * Normalises a valid event so the live views group like with like: currency codes upper
 * case, categories lower case, blank strings removed. (The versioned rule engine with
 * quarantine and scoring replaces this step; it keeps the same signature.)
 */
export function cleanEvent(event: StorefrontEvent): StepResult<{ event: StorefrontEvent; quality: Quality }> {
  const hits: string[] = [];
  const props = { ...(event.properties as Record<string, unknown>) };
  if (typeof props.currency === 'string' && props.currency !== props.currency.toUpperCase()) {
    props.currency = props.currency.toUpperCase();
    hits.push('normalise_currency');
  }
  if (typeof props.category === 'string') {
    const category = props.category.trim().toLowerCase();
    if (category !== props.category) hits.push('normalise_category');
    if (category === '') delete props.category;
    else props.category = category;
  }
  const cleaned = { ...event, properties: props } as StorefrontEvent;
  return ok({ event: cleaned, quality: { score: 1, rulesHit: hits, rulesVersion: BUILTIN_RULES_VERSION } });
}
