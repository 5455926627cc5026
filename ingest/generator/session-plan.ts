import type { Catalog, Product } from './catalog';
import type { Rees46Profile } from './profile-types';
import { cumulate, type Rng } from './prng';

/**
 * Plans one shopping session up front as a list of steps; the generator then emits them one at
 * a time, interleaved with other sessions. Planning whole sessions makes the funnel rules easy
 * to keep: a purchase only ever contains what this session added and did not remove.
 */
export type CartLine = { product: Product; quantity: number };
export type Step =
  | { kind: 'page_view'; pageType: 'home' | 'category' | 'cart'; category?: string }
  | { kind: 'search'; query: string; results: number }
  | { kind: 'product_view'; product: Product }
  | { kind: 'add_to_cart' | 'remove_from_cart'; line: CartLine }
  | { kind: 'begin_checkout' | 'purchase'; lines: CartLine[] };

export interface Behaviour {
  /** Share of sessions that start on the home page (REES46 has no page views). */
  homeLandingShare: number;
  /** Chance that moving to another category goes through a search for the product (REES46 has no searches)… */
  searchShare: number;
  /** …or else through that category's listing page. */
  categoryPageShare: number;
  /** Chance that an added item is removed again before the session ends. */
  removeShare: number;
  /** Chance that a carting session that will not buy still starts the checkout. */
  checkoutAbandonShare: number;
  /** Chance that an added line has quantity 2 (REES46 carts are always 1). */
  doubleQuantityShare: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  homeLandingShare: 0.5, searchShare: 0.2, categoryPageShare: 0.4, removeShare: 0.08, checkoutAbandonShare: 0.3, doubleQuantityShare: 0.05,
};

export function createPlanner(profile: Rees46Profile, catalog: Catalog, rng: Rng, behaviour: Behaviour) {
  const { sessions: s, funnel: f } = profile;
  const meanViews = Math.max(1.01, s.eventsPerSession.mean * profile.eventTypeShare.view);
  // The profile counts repeats per view and same-category per view pair; per transition:
  const pRepeat = Math.min(0.9, s.repeatViewShare / (1 - 1 / meanViews));
  const pSameCategory = Math.max(0, Math.min(1, (s.sameCategoryNextShare - pRepeat) / (1 - pRepeat)));
  // Every purchase here needs an add_to_cart, so carting follows REES46's "cart or purchase" share.
  const pCart = f.cartOrPurchaseSessionShare;
  const pBuyGivenCart = pCart > 0 ? Math.min(1, f.purchasingSessionShare / pCart) : 0;
  const hist = s.eventsHistogram;
  const histCumulative = cumulate(hist);

  const pickGlobal = () => catalog.products[rng.pickCumulative(catalog.cumulative)];
  const pickIn = (bucket: number) => {
    const group = catalog.byBucket[bucket];
    return group.items.length ? catalog.products[group.items[rng.pickCumulative(group.cumulative)]] : pickGlobal();
  };
  const sessionLength = () => {
    const k = rng.pickCumulative(histCumulative);
    return k < hist.length - 1 ? k + 1 : hist.length + rng.geometric(Math.max(0, s.eventsTailMean - hist.length));
  };
  const searchFor = (p: Product): Step | undefined => {
    const words = p.category.startsWith('category:') ? '' : p.category.split('.').pop()!.replace(/_/g, ' ');
    const query = [p.brand && (rng.chance(0.5) || !words) ? p.brand : '', words].filter(Boolean).join(' ');
    if (!query) return undefined;
    return { kind: 'search', query, results: catalog.byBucket[p.bucket].items.length };
  };

  return function plan(): Step[] {
    const steps: Step[] = [];
    const viewed: Product[] = [];
    const view = (p: Product) => { steps.push({ kind: 'product_view', product: p }); viewed.push(p); };
    // Page views and searches are not in REES46: a landing page for half the sessions, then a
    // search or a category listing on some of the moves to another category.
    if (rng.chance(behaviour.homeLandingShare)) steps.push({ kind: 'page_view', pageType: 'home' });
    const browse = (p: Product) => {
      if (!viewed.length || viewed[viewed.length - 1].bucket !== p.bucket) {
        const search = rng.chance(behaviour.searchShare) ? searchFor(p) : undefined;
        if (search) steps.push(search);
        else if (rng.chance(behaviour.categoryPageShare)) steps.push({ kind: 'page_view', pageType: 'category', category: p.category });
      }
      view(p);
    };
    // A fresh pick that happens to hit a viewed product would inflate the repeat-view share.
    const fresh = (pick: () => Product) => {
      let p = pick();
      for (let i = 0; i < 4 && viewed.includes(p); i++) p = pick();
      return p;
    };
    for (let i = 0, n = sessionLength(); i < n; i++) {
      const last = viewed[viewed.length - 1];
      // Going back to a product is going back within the category being browsed.
      if (last && rng.chance(pRepeat)) view(rng.pick(viewed.filter((p) => p.bucket === last.bucket)));
      else browse(fresh(last && rng.chance(pSameCategory) ? () => pickIn(last.bucket) : pickGlobal));
    }
    if (!rng.chance(pCart)) return steps;

    const buys = rng.chance(pBuyGivenCart);
    const meanAdds = buys ? f.itemsPerPurchase : f.cartsPerCartingSession;
    const adds = Math.min(catalog.products.length, 1 + rng.geometric(Math.max(0, meanAdds - 1)));
    const candidates = [...new Set(viewed)];
    for (let tries = 0; candidates.length < adds; tries++) {
      const p = tries < 5 ? pickIn(viewed[viewed.length - 1].bucket) : pickGlobal();
      if (!candidates.includes(p)) { browse(p); candidates.push(p); }
    }
    const cart: CartLine[] = [];
    const removed: CartLine[] = [];
    for (let i = 0; i < adds; i++) {
      const product = candidates.splice(rng.int(candidates.length), 1)[0];
      const line = { product, quantity: rng.chance(behaviour.doubleQuantityShare) ? 2 : 1 };
      // Add right after the product's last view: the shopper adds from its page.
      const at = steps.map((x) => x.kind === 'product_view' && x.product === product).lastIndexOf(true);
      steps.splice(at + 1, 0, { kind: 'add_to_cart', line });
      const mustKeep = buys && i === adds - 1 && cart.length === 0;
      (rng.chance(behaviour.removeShare) && !mustKeep ? removed : cart).push(line);
    }
    if (removed.length) steps.push({ kind: 'page_view', pageType: 'cart' }, ...removed.map((line): Step => ({ kind: 'remove_from_cart', line })));
    if (!cart.length) return steps;
    if (buys || rng.chance(behaviour.checkoutAbandonShare)) steps.push({ kind: 'begin_checkout', lines: cart });
    if (buys) steps.push({ kind: 'purchase', lines: cart });
    return steps;
  };
}
