import type { StorefrontEvent } from '../../contract/events';
import { buildCatalog, type Catalog } from './catalog';
import { createShopper, DEFAULT_IDENTITY, pickReferrer, type IdentityMix, type Shopper } from './context';
import { createRng } from './prng';
import type { Rees46Profile } from './profile-types';
import { REES46_PROFILE } from './rees46-profile';
import { createPlanner, DEFAULT_BEHAVIOUR, type Behaviour, type CartLine, type Step } from './session-plan';

/**
 * A deterministic simulation of many concurrent shoppers on a storefront whose catalog and funnel
 * follow a measured profile. The same seed (and the same `now` readings) gives the same events.
 *
 * Time is the caller's: every event is stamped with `now()` when it is produced. Sessions are
 * interleaved at random, so when events are produced at R events/s a session advances about every
 * `concurrency / R` seconds; pick `concurrency ≈ R × profile.sessions.gapSeconds.p50` for realistic
 * gaps (see `concurrencyFor`).
 */
export interface GeneratorOptions {
  seed: number | string;
  profile?: Rees46Profile;
  now?: () => number;
  /** Sessions in progress at once. Default 64. */
  concurrency?: number;
  /** Products in the synthetic catalog. Default: the profile's product count. */
  catalogSize?: number;
  identity?: Partial<IdentityMix>;
  behaviour?: Partial<Behaviour>;
  currency?: string;
  siteUrl?: string;
}

export interface Generator {
  next(): StorefrontEvent;
  batch(n: number): StorefrontEvent[];
  readonly catalog: Catalog;
}

interface Session { id: string; shopper: Shopper; steps: Step[]; at: number; lastUrl?: string }

const MAX_REMEMBERED_SHOPPERS = 50_000;

export function concurrencyFor(rate: number, profile: Rees46Profile = REES46_PROFILE): number {
  return Math.max(1, Math.min(100_000, Math.round(rate * profile.sessions.gapSeconds.p50)));
}

export function createGenerator(options: GeneratorOptions): Generator {
  const profile = options.profile ?? REES46_PROFILE;
  const now = options.now ?? Date.now;
  const currency = options.currency ?? 'USD';
  const site = (options.siteUrl ?? 'https://shop.example.com').replace(/\/$/, '');
  const identity = { ...DEFAULT_IDENTITY, ...options.identity };
  const rng = createRng(options.seed);
  const catalog = buildCatalog(profile, rng, options.catalogSize);
  const plan = createPlanner(profile, catalog, rng, { ...DEFAULT_BEHAVIOUR, ...options.behaviour });
  // A new session belongs to a returning shopper as often as REES46 users came back.
  const pReturning = Math.max(0, 1 - profile.counts.users / Math.max(1, profile.counts.sessions));
  const shoppers: Shopper[] = [];

  const newSession = (): Session => {
    let shopper: Shopper;
    if (shoppers.length && rng.chance(pReturning)) shopper = rng.pick(shoppers);
    else {
      shopper = createShopper(rng, identity);
      if (shoppers.length < MAX_REMEMBERED_SHOPPERS) shoppers.push(shopper);
      else shoppers[rng.int(shoppers.length)] = shopper;
    }
    return { id: rng.uuid(), shopper, steps: plan(), at: 0, lastUrl: pickReferrer(rng) };
  };
  const active = Array.from({ length: Math.max(1, options.concurrency ?? 64) }, newSession);

  const cents = (x: number) => Math.round(x * 100);
  const items = (lines: CartLine[]) => lines.map(({ product, quantity }) => ({ product_id: product.id, category: product.category, price: product.price, quantity }));
  const total = (lines: CartLine[]) => lines.reduce((sum, l) => sum + cents(l.product.price) * l.quantity, 0) / 100;
  const slug = (category: string) => category.replace(/^category:/, '').replace(/\./g, '/');
  const product = (p: CartLine['product']) => ({ product_id: p.id, category: p.category, ...(p.brand ? { brand: p.brand } : {}), price: p.price, currency });

  function titleOf(step: Step & { kind: 'page_view' }): string {
    if (step.pageType !== 'category' || !step.category) return step.pageType === 'home' ? 'Home' : 'Your cart';
    return step.category.startsWith('category:') ? 'Catalog' : step.category.split('.').pop()!.replace(/_/g, ' ');
  }

  function urlOf(step: Step): string {
    switch (step.kind) {
      case 'page_view': return step.pageType === 'home' ? `${site}/` : step.pageType === 'cart' ? `${site}/cart` : `${site}/c/${slug(step.category ?? '')}`;
      case 'search': return `${site}/search?q=${encodeURIComponent(step.query)}`;
      case 'product_view': return `${site}/product/${step.product.id}`;
      case 'add_to_cart': return `${site}/product/${step.line.product.id}`;
      case 'remove_from_cart': return `${site}/cart`;
      case 'begin_checkout': return `${site}/checkout`;
      case 'purchase': return `${site}/checkout/complete`;
    }
  }

  function toEvent(session: Session, step: Step): StorefrontEvent {
    const { shopper } = session;
    const pageUrl = urlOf(step);
    const envelope = {
      event_id: rng.uuid(),
      schema_version: 1 as const,
      occurred_at: new Date(now()).toISOString(),
      ...(shopper.userId ? { user_id: shopper.userId } : {}),
      ...(shopper.anonymousId ? { anonymous_id: shopper.anonymousId } : {}),
      session_id: session.id,
      context: {
        page_url: pageUrl,
        ...(session.lastUrl ? { referrer: session.lastUrl } : {}),
        user_agent: shopper.userAgent, ip: shopper.ip, locale: shopper.locale,
      },
    };
    session.lastUrl = pageUrl;
    switch (step.kind) {
      case 'page_view': return { ...envelope, event_type: 'page_view', properties: { page_type: step.pageType, title: titleOf(step) } };
      case 'search': return { ...envelope, event_type: 'search', properties: { query: step.query, results_count: step.results } };
      case 'product_view': return { ...envelope, event_type: 'product_view', properties: product(step.product) };
      case 'add_to_cart':
      case 'remove_from_cart': return { ...envelope, event_type: step.kind, properties: { ...product(step.line.product), quantity: step.line.quantity } };
      case 'begin_checkout': return { ...envelope, event_type: 'begin_checkout', properties: { cart_value: total(step.lines), currency, items: items(step.lines) } };
      case 'purchase': return { ...envelope, event_type: 'purchase', properties: { order_id: `ord-${rng.hex(10)}`, revenue: total(step.lines), currency, items: items(step.lines) } };
    }
  }

  function next(): StorefrontEvent {
    const slot = rng.int(active.length);
    const session = active[slot];
    const event = toEvent(session, session.steps[session.at++]);
    if (session.at >= session.steps.length) active[slot] = newSession();
    return event;
  }

  return { next, batch: (n) => Array.from({ length: n }, next), catalog };
}
