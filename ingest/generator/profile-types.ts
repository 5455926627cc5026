/**
 * The shape of a measured clickstream profile: what `measure.ts` computes from a REES46 file
 * and what the generator reads. Shares are fractions in [0, 1]; prices are in the file's
 * currency (USD); prices are per distinct product (catalog-level), not per event, because the
 * generator draws a catalog first and applies popularity separately.
 */
export interface PriceStats {
  min: number; p05: number; p10: number; p25: number; p50: number;
  p75: number; p90: number; p95: number; max: number; mean: number;
}

export interface CategoryStat {
  code: string;
  /** Share of all events whose product is in this category. */
  eventShare: number;
  /** Share of all distinct products in this category. */
  productShare: number;
  price: PriceStats;
  /** Up to three leading brands, each with its share of the category's products. */
  brands: { brand: string; share: number }[];
}

export interface BrandStat { brand: string; eventShare: number; productShare: number }

export interface Rees46Profile {
  source: string;
  counts: {
    events: number; products: number; users: number; sessions: number;
    categoryCodes: number; categoryIds: number; brands: number;
    /** Rows the measurement could not parse (bad time or price); excluded from everything else. */
    badRows: number;
    spanSeconds: number;
  };
  /** Share of events by REES46 event_type (view, cart, purchase, remove_from_cart). */
  eventTypeShare: { view: number; cart: number; purchase: number; remove_from_cart: number };
  categories: {
    top: CategoryStat[];
    /** Non-empty codes outside the top list, lumped together (their codes are kept for naming). */
    other: { codes: string[]; eventShare: number; productShare: number; price: PriceStats };
    /** Products with an empty category_code (only a numeric category_id). */
    empty: { eventShare: number; productShare: number; categoryIds: number; price: PriceStats };
  };
  price: PriceStats;
  brands: { top: BrandStat[]; emptyEventShare: number; emptyProductShare: number };
  sessions: {
    eventsPerSession: { p10: number; p25: number; p50: number; p75: number; p90: number; p99: number; max: number; mean: number };
    /** histogram[k] = share of sessions with k + 1 events; the last bucket holds everything longer. */
    eventsHistogram: number[];
    /** Mean length of the sessions in the last histogram bucket. */
    eventsTailMean: number;
    perUser: { mean: number; p50: number; p90: number; max: number; multiShare: number };
    /** Seconds between consecutive events of a session. */
    gapSeconds: { p25: number; p50: number; p75: number; p90: number };
    /** Share of views that repeat a product already viewed earlier in the same session. */
    repeatViewShare: number;
    /** Share of consecutive views in a session that stay in the same category_id. */
    sameCategoryNextShare: number;
  };
  funnel: {
    /** Sessions with a cart event / sessions with a view event. */
    viewToCart: number;
    /** Sessions with a purchase / sessions with a cart event (sessions that purchased after carting). */
    cartToPurchase: number;
    /** Sessions with a cart or a purchase event / all sessions (REES46 often logs a purchase without its cart). */
    cartOrPurchaseSessionShare: number;
    purchasingSessionShare: number;
    /** Purchasing sessions that have no cart event. */
    purchaseWithoutCartShare: number;
    purchasesPerPurchasingSession: number;
    /** Distinct products bought per purchasing session (an order in REES46 is one row per item). */
    itemsPerPurchase: number;
    cartsPerCartingSession: number;
  };
  popularity: {
    top1PctViewShare: number;
    top10PctViewShare: number;
    /** Products that were never viewed (only carted or bought). */
    unviewedProductShare: number;
    /** Exponent s of a rank^-s law over all products that gives the measured top-10% view share. */
    zipfExponent: number;
  };
}
