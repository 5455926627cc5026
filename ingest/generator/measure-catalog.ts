import type { BrandStat, CategoryStat, PriceStats, Rees46Profile } from './profile-types';

/** Catalog-side figures: category mix, prices, brands and how views spread over products. */
export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

export const r4 = (x: unknown): number => Math.round(Number(x ?? 0) * 1e4) / 1e4;
export const r2 = (x: unknown): number => Math.round(Number(x ?? 0) * 100) / 100;
export const num = (x: unknown): number => Number(x ?? 0);

type Catalog = Pick<Rees46Profile, 'categories' | 'price' | 'brands' | 'popularity'>;

const PRICE_SQL = `min(price) mn, quantile_cont(price, [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]) q, max(price) mx, avg(price) mean`;

function priceStats(row: Record<string, unknown>): PriceStats {
  const q = (row.q as number[] | null) ?? [0, 0, 0, 0, 0, 0, 0];
  return {
    min: r2(row.mn), p05: r2(q[0]), p10: r2(q[1]), p25: r2(q[2]), p50: r2(q[3]),
    p75: r2(q[4]), p90: r2(q[5]), p95: r2(q[6]), max: r2(row.mx), mean: r2(row.mean),
  };
}

export async function measureCatalog(q: Query, opts: { topCategories: number; topBrands: number }): Promise<Catalog> {
  // One row per product: REES46 keeps a product's category, brand and price fixed within a month.
  await q(`CREATE TABLE p AS SELECT product_id, any_value(cc) cc, any_value(category_id) cid, any_value(brand) brand,
      avg(price) price, sum((event_type = 'view')::INT) nviews, count(*) events FROM e GROUP BY product_id`);
  const [t] = await q(`SELECT (SELECT count(*) FROM e)::DOUBLE events, (SELECT count(*) FROM p)::DOUBLE products`);
  const events = num(t.events), products = num(t.products);

  await q(`CREATE TABLE cat_rank AS SELECT cc, count(*) n, row_number() OVER (ORDER BY count(*) DESC, cc) r
    FROM e WHERE cc IS NOT NULL GROUP BY cc`);
  const rows = await q(`SELECT cc, any_value(n)::INT n, count(*)::INT np, ${PRICE_SQL}
    FROM cat_rank JOIN p USING (cc) WHERE r <= ${opts.topCategories} GROUP BY cc ORDER BY any_value(r)`);
  // The leading brands of each top category, so that a synthetic smartphone is a samsung, not a bosch.
  const catBrands = await q(`SELECT cc, brand, count(*) / any_value(total) frac FROM (
      SELECT cc, brand, count(*) OVER (PARTITION BY cc) total FROM p WHERE cc IN (SELECT cc FROM cat_rank WHERE r <= ${opts.topCategories}))
    WHERE brand IS NOT NULL GROUP BY cc, brand QUALIFY row_number() OVER (PARTITION BY cc ORDER BY count(*) DESC, brand) <= 3`);
  const top: CategoryStat[] = rows.map((row) => ({
    code: String(row.cc), eventShare: r4(num(row.n) / events), productShare: r4(num(row.np) / products), price: priceStats(row),
    brands: catBrands.filter((b) => b.cc === row.cc).sort((a, b) => num(b.frac) - num(a.frac) || String(a.brand).localeCompare(String(b.brand)))
      .map((b) => ({ brand: String(b.brand), share: r4(b.frac) })),
  }));
  const [other] = await q(`SELECT list(DISTINCT cc ORDER BY cc) codes, count(*)::INT np,
      (SELECT sum(n) FROM cat_rank WHERE r > ${opts.topCategories})::DOUBLE n, ${PRICE_SQL}
    FROM p WHERE cc IN (SELECT cc FROM cat_rank WHERE r > ${opts.topCategories})`);
  const [empty] = await q(`SELECT count(*)::INT np, count(DISTINCT cid)::INT ids, sum(events)::DOUBLE n, ${PRICE_SQL}
    FROM p WHERE cc IS NULL`);
  const [all] = await q(`SELECT ${PRICE_SQL} FROM p`);

  const brandRows = await q(`SELECT brand, count(*)::INT n, count(DISTINCT product_id)::INT np FROM e
    WHERE brand IS NOT NULL GROUP BY brand ORDER BY n DESC, brand LIMIT ${opts.topBrands}`);
  const brands: BrandStat[] = brandRows.map((row) => ({
    brand: String(row.brand), eventShare: r4(num(row.n) / events), productShare: r4(num(row.np) / products),
  }));
  const [nb] = await q(`SELECT (SELECT count(*) FROM e WHERE brand IS NULL)::DOUBLE ev, (SELECT count(*) FROM p WHERE brand IS NULL)::DOUBLE pr`);

  const [pop] = await q(`WITH ranked AS (SELECT nviews, row_number() OVER (ORDER BY nviews DESC) r FROM p)
    SELECT sum(nviews) FILTER (WHERE r <= ceil(${products} * 0.01))::DOUBLE / sum(nviews) top1,
      sum(nviews) FILTER (WHERE r <= ceil(${products} * 0.10))::DOUBLE / sum(nviews) top10,
      avg((nviews = 0)::INT) unviewed FROM ranked`);
  return {
    categories: {
      top,
      other: { codes: (other.codes as string[] | null) ?? [], eventShare: r4(num(other.n) / events), productShare: r4(num(other.np) / products), price: priceStats(other) },
      empty: { eventShare: r4(num(empty.n) / events), productShare: r4(num(empty.np) / products), categoryIds: num(empty.ids), price: priceStats(empty) },
    },
    price: priceStats(all),
    brands: { top: brands, emptyEventShare: r4(num(nb.ev) / events), emptyProductShare: r4(num(nb.pr) / products) },
    popularity: {
      top1PctViewShare: r4(pop.top1), top10PctViewShare: r4(pop.top10), unviewedProductShare: r4(pop.unviewed),
      zipfExponent: Math.round(fitZipfExponent(products, 0.1, num(pop.top10)) * 1000) / 1000,
    },
  };
}

/** Share of the total weight that the top `fraction` of `n` ranks carry under weights rank^-s. */
export function zipfTopShare(n: number, fraction: number, s: number): number {
  const k = Math.ceil(n * fraction);
  let top = 0, total = 0;
  for (let i = 1; i <= n; i++) {
    const w = Math.pow(i, -s);
    total += w;
    if (i <= k) top += w;
  }
  return top / total;
}

/** Bisection: the share grows monotonically with s, from `fraction` at s = 0 towards 1. */
export function fitZipfExponent(n: number, fraction: number, share: number): number {
  if (n <= 1 || share <= fraction) return 0;
  let lo = 0, hi = 4;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (zipfTopShare(n, fraction, mid) < share) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}
