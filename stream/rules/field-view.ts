import { computedField, keyReader, readsFactsOnly, type Facts } from './facts';

type Reader = (view: FieldView) => unknown;

/**
 * The fields a rule set reads, one slot per distinct path, numbered at compile time; a path's
 * parent object has a slot of its own (`context` for `context.ip`). Fifty rules make some
 * sixty field reads per event but read only about twenty distinct fields, and each read is a
 * property load no inline cache can specialise (every rule shares the reading code): with
 * slots, each object on a path is looked up once per event.
 */
export class FieldSlots {
  private readonly index = new Map<string, number>();
  private readonly readers: Reader[] = [];
  /** The dotted path of each slot ('$…' for a computed field). */
  private readonly paths: string[] = [];

  slot(path: string): number {
    if (path.startsWith('$')) {
      const computed = computedField(path);
      return this.add(path, path, (v) => computed(v.root, v.facts));
    }
    const segs = path.split('.');
    // As compileGetter: a path of three or more keys reads own properties only, at every key.
    return this.key(segs, segs.length, segs.length > 2);
  }

  /** The slot of the first n keys of segs. */
  private key(segs: readonly string[], n: number, ownOnly: boolean): number {
    const path = segs.slice(0, n).join('.');
    const read = keyReader(segs[n - 1], ownOnly);
    if (n === 1) return this.add(`${ownOnly}:${path}`, path, (v) => read(v.root));
    const parent = this.key(segs, n - 1, ownOnly);
    return this.add(`${ownOnly}:${path}`, path, (v) => read(v.get(parent)));
  }

  private add(id: string, path: string, reader: Reader): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.readers.push(reader) - 1;
      this.paths.push(path);
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
    return new FieldView([...this.readers]);
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

  constructor(private readonly readers: readonly Reader[]) {
    this.values = readers.map(() => undefined);
    this.stamps = new Int32Array(readers.length);
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
    const v = this.readers[slot](this);
    this.values[slot] = v;
    this.stamps[slot] = this.generation;
    return v;
  }
}
