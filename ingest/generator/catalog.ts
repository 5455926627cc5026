import type { PriceStats, Rees46Profile } from './profile-types';
import { cumulate, type Rng } from './prng';

/**
 * A synthetic catalog whose category mix, brands, prices and popularity follow a profile.
 * Each product gets a rank^-s popularity weight; ranks are dealt to categories so that each
 * category's share of the total weight matches its measured share of events (smartphones are
 * 7% of REES46 products but 27% of its events), not merely its share of products.
 */
export interface Product { id: string; category: string; bucket: number; brand?: string; price: number; weight: number }

interface Bucket {
  category: string; eventShare: number; productShare: number; price: PriceStats;
  brands: { brand: string; share: number }[];
}

export interface Catalog {
  products: Product[];
  categories: string[];
  /** Product indexes per bucket and their cumulative popularity weights. */
  byBucket: { items: number[]; cumulative: Float64Array }[];
  cumulative: Float64Array;
}

function buckets(profile: Rees46Profile, rng: Rng): Bucket[] {
  const { top, other, empty } = profile.categories;
  const out: Bucket[] = top.map((c) => ({ category: c.code, eventShare: c.eventShare, productShare: c.productShare, price: c.price, brands: c.brands }));
  for (const code of other.codes) {
    out.push({ category: code, eventShare: other.eventShare / other.codes.length, productShare: other.productShare / other.codes.length, price: other.price, brands: [] });
  }
  // Products without a category_code replay as `category:<category_id>`; synthetic ids keep that shape.
  for (let i = 0; i < empty.categoryIds; i++) {
    const id = `20530135${String(rng.int(1e11)).padStart(11, '0')}`;
    out.push({ category: `category:${id}`, eventShare: empty.eventShare / empty.categoryIds, productShare: empty.productShare / empty.categoryIds, price: empty.price, brands: [] });
  }
  return out;
}

/** Inverse CDF through the measured quantiles; the bottom knot is not `min`, which is often a 0 placeholder. */
export function samplePrice(rng: Rng, p: PriceStats): number {
  const knots: [number, number][] = [[0, Math.max(p.min, p.p05 / 2)], [0.05, p.p05], [0.1, p.p10], [0.25, p.p25], [0.5, p.p50], [0.75, p.p75], [0.9, p.p90], [0.95, p.p95]];
  const u = rng.float();
  let value: number;
  if (u >= 0.95) {
    // The top 5% runs to `max`, but thinly: a cubic tail keeps the mean near the measured one.
    value = p.p95 + Math.pow((u - 0.95) / 0.05, 3) * Math.max(0, p.max - p.p95);
  } else {
    let i = 1;
    while (i < knots.length - 1 && knots[i][0] < u) i++;
    const [u0, v0] = knots[i - 1], [u1, v1] = knots[i];
    value = v0 + ((u - u0) / (u1 - u0)) * (v1 - v0);
  }
  return Math.max(0.01, Math.round(value * 100) / 100);
}

function syllableName(rng: Rng): string {
  const c = 'bdfgklmnprstvz', v = 'aeiou';
  let name = '';
  for (let i = 0, n = 2 + rng.int(2); i < n; i++) name += c[rng.int(c.length)] + v[rng.int(v.length)];
  return name + (rng.chance(0.4) ? c[rng.int(c.length)] : '');
}

function brandPicker(profile: Rees46Profile, rng: Rng): () => string | undefined {
  const { top, emptyProductShare } = profile.brands;
  const tail = Array.from({ length: Math.max(0, profile.counts.brands - top.length) }, () => syllableName(rng));
  const tailShare = Math.max(0, 1 - emptyProductShare - top.reduce((s, b) => s + b.productShare, 0));
  const names: (string | undefined)[] = [...top.map((b) => b.brand), undefined, ...tail];
  const weights = [...top.map((b) => b.productShare), emptyProductShare, ...tail.map(() => tailShare / tail.length)];
  const cumulative = cumulate(weights);
  return () => names[rng.pickCumulative(cumulative)];
}

export function buildCatalog(profile: Rees46Profile, rng: Rng, size = profile.counts.products): Catalog {
  const bs = buckets(profile, rng);
  const productTotal = bs.reduce((s, b) => s + b.productShare, 0) || 1;
  // Largest-remainder allocation so the bucket sizes add up to exactly `size`.
  const exact = bs.map((b) => (b.productShare / productTotal) * size);
  const slots = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0]);
  for (let k = 0, left = size - slots.reduce((s, n) => s + n, 0); k < left; k++) slots[order[k % order.length][1]]++;

  const weights = Array.from({ length: size }, (_, r) => Math.pow(r + 1, -profile.popularity.zipfExponent));
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  const eventTotal = bs.reduce((s, b) => s + b.eventShare, 0) || 1;
  const deficit = bs.map((b) => (b.eventShare / eventTotal) * totalWeight);
  const pickBrand = brandPicker(profile, rng);
  const ids = new Set<string>();
  const products: Product[] = [];
  for (const weight of weights) {
    // Greedy: the next (most popular) rank goes to the bucket that still needs the most weight per
    // empty slot, so small, busy categories get the top ranks (an even draw would leave them short).
    let bucket = -1;
    for (let i = 0, best = -Infinity; i < bs.length; i++) {
      const need = slots[i] > 0 ? deficit[i] / slots[i] + rng.float() * 1e-12 : -Infinity;
      if (need > best) { best = need; bucket = i; }
    }
    slots[bucket]--;
    deficit[bucket] -= weight;
    const b = bs[bucket];
    let id: string;
    do id = String(1_000_000 + rng.int(99_000_000)); while (ids.has(id));
    ids.add(id);
    const own = b.brands.reduce((s, x) => s + x.share, 0);
    const brand = rng.chance(own) ? b.brands[rng.pickCumulative(cumulate(b.brands.map((x) => x.share)))].brand : pickBrand();
    products.push({ id, category: b.category, bucket, brand, price: samplePrice(rng, b.price), weight });
  }
  const groups = bs.map((): number[] => []);
  products.forEach((p, i) => groups[p.bucket].push(i));
  const byBucket = groups.map((items) => ({ items, cumulative: cumulate(items.map((i) => products[i].weight)) }));
  return { products, categories: bs.map((b) => b.category), byBucket, cumulative: cumulate(weights) };
}
