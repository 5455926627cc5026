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

/** Compiles a dotted path into a reader of own properties only: inherited keys are never read. */
export function compileGetter(path: string): (root: Record<string, unknown>, facts: Facts) => unknown {
  if (path.startsWith('$')) {
    const computed = COMPUTED_FIELDS[path];
    if (!computed) throw new Error(`unknown computed field ${path}: known ones are ${Object.keys(COMPUTED_FIELDS).join(', ')}`);
    return computed;
  }
  const segs = path.split('.');
  // A key Object.prototype lacks cannot be inherited by a JSON object: read it directly (the
  // hot path); one it has (toString, valueOf …) is read only if it is the object's own.
  const [a, b] = segs.map((k) => (k in Object.prototype ? (o: unknown) => own(o, k) : (o: unknown) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined)));
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
