import { computedField, readsFactsOnly, type Facts } from './facts';

type Computed = (root: Record<string, unknown>, facts: Facts) => unknown;

/** How a slot is read: a key of its parent (directly, or only if the parent's own), or a computed field. */
const DIRECT = 0, OWN = 1, COMPUTED = 2;

/** What a view needs to read the slots, as parallel arrays indexed by slot. */
interface Layout {
  kinds: number[];
  /** The slot of the object the key is read from; -1 for the event itself. */
  parents: number[];
  keys: string[];
  computed: (Computed | undefined)[];
}

/**
 * The fields a rule set reads, one slot per distinct path, numbered at compile time; a path's
 * parent object has a slot of its own (`context` for `context.ip`). Fifty rules make some
 * sixty field reads per event but read only about twenty distinct fields, and each read is a
 * property load no inline cache can specialise (every rule shares the reading code): with
 * slots, each object on a path is looked up once per event.
 */
export class FieldSlots {
  private readonly index = new Map<string, number>();
  private readonly layout: Layout = { kinds: [], parents: [], keys: [], computed: [] };
  /** The dotted path of each slot ('$…' for a computed field). */
  private readonly paths: string[] = [];

  slot(path: string): number {
    if (path.startsWith('$')) return this.add(path, path, COMPUTED, -1, '', computedField(path));
    const segs = path.split('.');
    // As compileGetter: a path of three or more keys reads own properties only, at every key.
    return this.key(segs, segs.length, segs.length > 2);
  }

  /** A slot for `path` read as own properties at every key, as a fix reads what it rewrites. */
  ownSlot(path: string): number {
    const segs = path.split('.');
    return this.key(segs, segs.length, true);
  }

  /** The slot of the first n keys of segs. */
  private key(segs: readonly string[], n: number, ownOnly: boolean): number {
    const k = segs[n - 1];
    // A key Object.prototype lacks cannot be inherited by a JSON object: it is read directly.
    const kind = ownOnly || k in Object.prototype ? OWN : DIRECT;
    const parent = n === 1 ? -1 : this.key(segs, n - 1, ownOnly);
    const path = segs.slice(0, n).join('.');
    return this.add(`${ownOnly}:${path}`, path, kind, parent, k, undefined);
  }

  private add(id: string, path: string, kind: number, parent: number, key: string, computed: Computed | undefined): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.paths.push(path) - 1;
      this.layout.kinds.push(kind);
      this.layout.parents.push(parent);
      this.layout.keys.push(key);
      this.layout.computed.push(computed);
      this.index.set(id, i);
    }
    return i;
  }

  /**
   * The slots a write at `path` can change: the path, the objects on the way to it (a write
   * copies them), what lies below it, and computed fields that read the event.
   */
  affectedBy(path: string): Int32Array {
    const hit = (p: string) => (p.startsWith('$') ? !readsFactsOnly(p) : p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`));
    return Int32Array.from(this.paths.flatMap((p, i) => (hit(p) ? [i] : [])));
  }

  /** A view over the slots registered so far (compile first, then make views). */
  view(): FieldView {
    const { kinds, parents, keys, computed } = this.layout;
    return new FieldView({ kinds: [...kinds], parents: [...parents], keys: [...keys], computed: [...computed] });
  }
}

/**
 * The current event as the rules see it: each slot read on first use and kept until the view
 * is loaded with the next event, or until a fix changes the fields the slot depends on.
 */
export class FieldView {
  root: Record<string, unknown> = {};
  facts: Facts = { receivedAt: 0, occurredAt: 0, session: undefined };
  private readonly values: unknown[];
  private readonly stamps: Int32Array;
  private generation = 1;

  constructor(private readonly layout: Layout) {
    this.values = layout.kinds.map(() => undefined);
    this.stamps = new Int32Array(layout.kinds.length);
  }

  load(root: Record<string, unknown>, facts: Facts): void {
    this.root = root;
    this.facts = facts;
    if (++this.generation === 0x7fffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** After a fix: the event is now `root`, and the `stale` slots must be read again. */
  changed(root: Record<string, unknown>, stale: Int32Array): void {
    this.root = root;
    for (let i = 0; i < stale.length; i++) this.stamps[stale[i]] = 0;
  }

  get(slot: number): unknown {
    if (this.stamps[slot] === this.generation) return this.values[slot];
    const v = this.read(slot);
    this.values[slot] = v;
    this.stamps[slot] = this.generation;
    return v;
  }

  private read(slot: number): unknown {
    const { kinds, parents, keys, computed } = this.layout;
    const kind = kinds[slot];
    if (kind === COMPUTED) return computed[slot]!(this.root, this.facts);
    const o = parents[slot] < 0 ? this.root : this.get(parents[slot]);
    if (typeof o !== 'object' || o === null) return undefined;
    const k = keys[slot];
    return kind === DIRECT || hasOwn.call(o, k) ? (o as Record<string, unknown>)[k] : undefined;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;
