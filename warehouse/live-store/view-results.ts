import type { KpiMinute, KpiReport, TrendingProduct, UserFeatures } from '../live-store';
import {
  KPI_EVENT_TYPES, cartSql, kpiByMinuteSql, kpiTotalsSql, lastPurchaseSql, lastViewedCategoriesSql,
  lastViewedProductsSql, userCountsSql, USER_WINDOWS, type Dialect,
} from '../live-views';

/** Anything that runs SQL and returns plain rows: both live-store adapters. */
export interface ViewReader {
  query<T>(sql: string): Promise<T[]>;
}

type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const round2 = (v: number) => Math.round(v * 100) / 100;

function minuteFrom(r: Row): Omit<KpiMinute, 'minute'> {
  return {
    events: n(r.events),
    by_type: Object.fromEntries(KPI_EVENT_TYPES.map((t) => [t, n(r[`n_${t}`])])),
    active_users: n(r.active_users),
    active_sessions: n(r.active_sessions),
    carts: n(r.carts),
    purchases: n(r.purchases),
    revenue: round2(n(r.revenue)),
  };
}

/** Shapes the rows of the shared KPI declarations into the API's report (same for every engine). */
export async function buildKpiReport(db: ViewReader, d: Dialect, windowMs: number, asOf: number): Promise<KpiReport> {
  const from = asOf - windowMs;
  const [minutes, [totals]] = await Promise.all([db.query<Row>(kpiByMinuteSql(d, from, asOf)), db.query<Row>(kpiTotalsSql(d, from, asOf))]);
  const t = minuteFrom(totals ?? {});
  const cartSessions = n(totals?.cart_sessions);
  const purchaseSessions = n(totals?.purchase_sessions);
  return {
    window: windowLabel(windowMs),
    from: iso(from),
    to: iso(asOf),
    totals: { ...t, cart_sessions: cartSessions, purchase_sessions: purchaseSessions, conversion: t.active_sessions ? Math.round((purchaseSessions / t.active_sessions) * 1e4) / 1e4 : 0 },
    minutes: minutes.map((r) => ({ minute: iso(r.minute_ms), ...minuteFrom(r) })),
  };
}

export async function buildUserFeatures(db: ViewReader, d: Dialect, userKey: string, asOf: number, lastN: number): Promise<UserFeatures> {
  const [products, categories, counts, purchases] = await Promise.all([
    db.query<Row>(lastViewedProductsSql(d, userKey, asOf, lastN)),
    db.query<Row>(lastViewedCategoriesSql(d, userKey, asOf, lastN)),
    db.query<Row>(userCountsSql(d, userKey, asOf)),
    db.query<Row>(lastPurchaseSql(d, userKey, asOf)),
  ]);
  const last = purchases[0];
  const cart = await db.query<Row>(cartSql(d, userKey, asOf, last ? n(last.at_ms) : 0));
  const c = counts[0] ?? {};
  const windowCounts = Object.fromEntries(
    Object.keys(USER_WINDOWS).map((label) => {
      const s = label.replace(/\W/g, '');
      return [label, { events: n(c[`events_${s}`]), product_views: n(c[`product_view_${s}`]), add_to_carts: n(c[`add_to_cart_${s}`]), purchases: n(c[`purchase_${s}`]), searches: n(c[`search_${s}`]) }];
    }),
  ) as UserFeatures['counts'];
  return {
    user_key: userKey,
    as_of: iso(asOf),
    last_viewed_products: products.map((r) => ({ product_id: String(r.product_id), category: (r.category as string | null) ?? null, at: iso(r.at_ms) })),
    last_viewed_categories: categories.map((r) => ({ category: String(r.category), at: iso(r.at_ms) })),
    cart: cart.map((r) => ({ product_id: String(r.product_id), quantity: n(r.quantity), price: r.price === null ? null : n(r.price) })),
    counts: windowCounts,
    last_purchase: last ? { order_id: (last.order_id as string | null) ?? null, revenue: last.revenue === null ? null : n(last.revenue), currency: (last.currency as string | null) ?? null, at: iso(last.at_ms) } : null,
    last_seen_at: c.last_seen_ms === null || c.last_seen_ms === undefined ? null : iso(c.last_seen_ms),
  };
}

/** A trending row (any engine; ClickHouse returns counts as strings) as the API's product. */
export function trendingProductFrom(r: Row): TrendingProduct {
  return { product_id: String(r.product_id), category: (r.category as string | null) ?? null, views: n(r.views), carts: n(r.carts), purchases: n(r.purchases), score: n(r.score) };
}

/** A window as the API shows it: whole minutes as `15m`, anything else in seconds (`61s`, not `1.0166…m`). */
export function windowLabel(windowMs: number): string {
  return windowMs % 60_000 === 0 ? `${windowMs / 60_000}m` : `${windowMs / 1000}s`;
}
