import type { SessionStats } from './session-tracker';

/**
 * What a condition can read besides the event itself: computed fields, named `$…`, worked out
 * from these facts when a rule reads them. One Facts object per step, refilled for each event
 * (evaluation is synchronous), so the hot path allocates nothing for it.
 */
export interface Facts {
  /** When the bus received the event (ms): the clock late and future checks use, so a replay judges as the live run did. */
  receivedAt: number;
  /** occurred_at in ms (NaN when Date.parse cannot place it, e.g. a leap second the format allows). */
  occurredAt: number;
  /** Set only when the rule set reads `$session.*`. */
  session: SessionStats | undefined;
}

type Computed = (root: Record<string, unknown>, facts: Facts) => unknown;

/** Smallest numeric `key` over `properties.items`, or undefined when there are none. */
function itemsMin(key: 'price' | 'quantity'): Computed {
  return (root) => {
    const props = root.properties as Record<string, unknown> | undefined;
    const items = props && Object.prototype.hasOwnProperty.call(props, 'items') ? props.items : undefined;
    if (!Array.isArray(items)) return undefined;
    let min: number | undefined;
    for (const item of items) {
      const v = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : undefined;
      if (typeof v === 'number' && (min === undefined || v < min)) min = v;
    }
    return min;
  };
}

export const COMPUTED_FIELDS: Readonly<Record<string, Computed>> = {
  // Undefined, not NaN, for an occurred_at Date.parse cannot place: a rule can then test it with `missing`.
  $age_ms: (_r, f) => (Number.isFinite(f.occurredAt) ? f.receivedAt - f.occurredAt : undefined),
  '$items.min_price': itemsMin('price'),
  '$items.min_quantity': itemsMin('quantity'),
  '$session.events': (_r, f) => f.session?.events,
  '$session.rate_per_min': (_r, f) => f.session?.ratePerMin,
  '$session.intervals': (_r, f) => f.session?.intervals,
  '$session.mean_interval_ms': (_r, f) => f.session?.meanIntervalMs,
  '$session.interval_cv': (_r, f) => f.session?.intervalCv,
};

export const usesSession = (field: string) => field.startsWith('$session.');
/** Computed fields worked out from the facts alone: a fix to the event cannot change them. */
export const readsFactsOnly = (field: string) => field === '$age_ms' || usesSession(field);

export function computedField(path: string): Computed {
  const computed = COMPUTED_FIELDS[path];
  if (!computed) throw new Error(`unknown computed field ${path}: known ones are ${Object.keys(COMPUTED_FIELDS).join(', ')}`);
  return computed;
}

/**
 * A reader of one key. A key Object.prototype lacks cannot be inherited by a JSON object: it
 * is read directly (the hot path), unless `ownOnly`; one it has (toString, valueOf …) is read
 * only if it is the object's own.
 */
export function keyReader(k: string, ownOnly: boolean): (o: unknown) => unknown {
  return ownOnly || k in Object.prototype ? (o) => own(o, k) : (o) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined);
}

/**
 * Compiles a dotted path into a reader of own properties only: inherited keys are never read.
 * Paths of three or more keys (into arrays, whose methods are inherited) check every key.
 */
export function compileGetter(path: string): (root: Record<string, unknown>, facts: Facts) => unknown {
  if (path.startsWith('$')) return computedField(path);
  const segs = path.split('.');
  const [a, b] = segs.map((k) => keyReader(k, false));
  if (segs.length === 1) return (root) => a(root);
  if (segs.length === 2) return (root) => b(a(root));
  return (root) => {
    let v: unknown = root;
    for (const s of segs) v = own(v, s);
    return v;
  };
}

const hasOwn = Object.prototype.hasOwnProperty;
export function own(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && hasOwn.call(v, key) ? (v as Record<string, unknown>)[key] : undefined;
}
