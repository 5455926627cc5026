import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import path from 'node:path';
import { measureCatalog, num, r2, r4, type Query } from './measure-catalog';
import type { Rees46Profile } from './profile-types';

/**
 * Measures a REES46 clickstream CSV with DuckDB into a `Rees46Profile`. Used by
 * scripts/measure-rees46.ts (to write rees46-profile.ts) and by rees46-profile.test.ts (to check
 * that the committed constants still match the file). Every figure is rounded here so that the
 * committed constants equal a fresh measurement exactly.
 */
export interface MeasureOptions { topCategories?: number; topBrands?: number }

export async function measureRees46(csvPath: string, options: MeasureOptions = {}): Promise<Rees46Profile> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const q: Query = async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
    const badRows = await loadEvents(conn, q, csvPath);
    const [c] = await q(`SELECT count(*)::INT events, count(DISTINCT product_id)::INT products,
      count(DISTINCT user_id)::INT users, count(DISTINCT s)::INT sessions, count(DISTINCT cc)::INT codes,
      count(DISTINCT category_id)::INT ids, count(DISTINCT brand)::INT brands, epoch(max(t) - min(t))::DOUBLE span,
      avg((event_type = 'view')::INT) v, avg((event_type = 'cart')::INT) c, avg((event_type = 'purchase')::INT) p,
      avg((event_type = 'remove_from_cart')::INT) r FROM e`);
    const catalog = await measureCatalog(q, { topCategories: options.topCategories ?? 25, topBrands: options.topBrands ?? 25 });
    return {
      source: path.basename(csvPath),
      counts: {
        events: num(c.events), products: num(c.products), users: num(c.users), sessions: num(c.sessions),
        categoryCodes: num(c.codes), categoryIds: num(c.ids), brands: num(c.brands), badRows, spanSeconds: num(c.span),
      },
      eventTypeShare: { view: r4(c.v), cart: r4(c.c), purchase: r4(c.p), remove_from_cart: r4(c.r) },
      ...catalog,
      sessions: await measureSessions(q),
      funnel: await measureFunnel(q),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Loads the file as text (so that one odd value cannot fail type sniffing) and parses in SQL. */
async function loadEvents(conn: DuckDBConnection, q: Query, csvPath: string): Promise<number> {
  const file = csvPath.replace(/'/g, "''");
  await conn.run(`CREATE TABLE raw AS SELECT row_number() OVER () rn, * FROM read_csv('${file}', header = true, all_varchar = true)`);
  // An empty user_session gets the same derived id as the replay parser gives it: user + day.
  await conn.run(`CREATE TABLE e AS SELECT rn, try_strptime(event_time, '%Y-%m-%d %H:%M:%S UTC') t, event_type, product_id,
      category_id, nullif(category_code, '') cc, nullif(brand, '') brand, try_cast(price AS DOUBLE) price, user_id,
      coalesce(nullif(user_session, ''), user_id || '-' || substr(event_time, 1, 10)) s
    FROM raw WHERE try_strptime(event_time, '%Y-%m-%d %H:%M:%S UTC') IS NOT NULL AND try_cast(price AS DOUBLE) IS NOT NULL`);
  await conn.run(`CREATE TABLE ss AS SELECT s, count(*) n, sum((event_type = 'view')::INT) v, sum((event_type = 'cart')::INT) c,
      sum((event_type = 'purchase')::INT) pu, count(DISTINCT CASE WHEN event_type = 'purchase' THEN product_id END) pp
    FROM e GROUP BY s`);
  const [row] = await q(`SELECT ((SELECT count(*) FROM raw) - (SELECT count(*) FROM e))::INT bad`);
  return num(row.bad);
}

async function measureSessions(q: Query): Promise<Rees46Profile['sessions']> {
  const [d] = await q(`SELECT quantile_disc(n, [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) q, max(n)::INT mx, avg(n) mean,
      avg(CASE WHEN n >= 30 THEN n END) tail FROM ss`);
  const hist = await q(`SELECT least(n, 30)::INT k, count(*) / (SELECT count(*) FROM ss) frac FROM ss GROUP BY 1 ORDER BY 1`);
  const histogram = Array.from({ length: 30 }, (_, i) => r4(hist.find((h) => num(h.k) === i + 1)?.frac));
  const [u] = await q(`SELECT avg(k) mean, quantile_disc(k, [0.5, 0.9]) q, max(k)::INT mx, avg((k > 1)::INT) multi
    FROM (SELECT count(DISTINCT s) k FROM e GROUP BY user_id)`);
  const [g] = await q(`SELECT quantile_cont(gap, [0.25, 0.5, 0.75, 0.9]) q FROM (
      SELECT epoch(t - lag(t) OVER (PARTITION BY s ORDER BY t, rn)) gap FROM e) WHERE gap IS NOT NULL`);
  const [v] = await q(`SELECT avg((seen > 1)::INT) repeat_share, avg((cid = prev_cid)::INT) FILTER (WHERE prev_cid IS NOT NULL) same_cat
    FROM (SELECT category_id cid, lag(category_id) OVER (PARTITION BY s ORDER BY t, rn) prev_cid,
      count(*) OVER (PARTITION BY s, product_id ORDER BY t, rn ROWS UNBOUNDED PRECEDING) seen
      FROM e WHERE event_type = 'view')`);
  const [dq, uq, gq] = [d.q, u.q, g.q].map((list) => (list as unknown[]).map(num));
  return {
    eventsPerSession: { p10: dq[0], p25: dq[1], p50: dq[2], p75: dq[3], p90: dq[4], p99: dq[5], max: num(d.mx), mean: r4(d.mean) },
    eventsHistogram: histogram,
    eventsTailMean: r2(d.tail),
    perUser: { mean: r4(u.mean), p50: uq[0], p90: uq[1], max: num(u.mx), multiShare: r4(u.multi) },
    gapSeconds: { p25: r2(gq[0]), p50: r2(gq[1]), p75: r2(gq[2]), p90: r2(gq[3]) },
    repeatViewShare: r4(v.repeat_share),
    sameCategoryNextShare: r4(v.same_cat),
  };
}

async function measureFunnel(q: Query): Promise<Rees46Profile['funnel']> {
  const [f] = await q(`SELECT count(*) sessions, sum((v > 0)::INT) viewing, sum((c > 0)::INT) carting,
      sum((pu > 0)::INT) buying, sum((c > 0 AND pu > 0)::INT) cart_buying, sum((c > 0 OR pu > 0)::INT) cart_or_buy,
      avg(CASE WHEN pu > 0 THEN pu END) pu_per, avg(CASE WHEN pu > 0 THEN pp END) items, avg(CASE WHEN c > 0 THEN c END) c_per
    FROM ss`);
  const [sessions, viewing, carting, buying, cartBuying, cartOrBuy] =
    [f.sessions, f.viewing, f.carting, f.buying, f.cart_buying, f.cart_or_buy].map(num);
  const ratio = (a: number, b: number) => (b > 0 ? r4(a / b) : 0);
  return {
    viewToCart: ratio(carting, viewing),
    cartToPurchase: ratio(cartBuying, carting),
    cartOrPurchaseSessionShare: ratio(cartOrBuy, sessions),
    purchasingSessionShare: ratio(buying, sessions),
    purchaseWithoutCartShare: ratio(buying - cartBuying, buying),
    purchasesPerPurchasingSession: r4(f.pu_per),
    itemsPerPurchase: r4(f.items),
    cartsPerCartingSession: r4(f.c_per),
  };
}
