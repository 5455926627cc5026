import { createEventValidator } from '../../contract/validate';
import type { StorefrontEvent } from '../../contract/events';
import { concurrencyFor, createGenerator } from './generator';
import { REES46_PROFILE as P } from './rees46-profile';

const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const bySession = (events: StorefrontEvent[]) => {
  const out = new Map<string, StorefrontEvent[]>();
  for (const e of events) out.set(e.session_id, [...(out.get(e.session_id) ?? []), e]);
  return out;
};
const count = (events: StorefrontEvent[], type: string) => events.filter((e) => e.event_type === type).length;

describe('generator', () => {
  const events = createGenerator({ seed: 'test', now: () => NOW }).batch(10_000);

  it('produces events that all pass the contract, stamped with now()', () => {
    const validate = createEventValidator();
    const failures = events.map(validate).filter((r) => !r.ok);
    expect(failures).toEqual([]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
    expect(events.every((e) => e.occurred_at === '2026-11-23T10:00:00.000Z')).toBe(true);
    expect(new Set(events.map((e) => e.event_type))).toEqual(
      new Set(['page_view', 'search', 'product_view', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase']));
  });

  it('is deterministic for a seed and uses no Math.random', () => {
    const random = jest.spyOn(Math, 'random').mockImplementation(() => { throw new Error('Math.random used'); });
    try {
      const again = createGenerator({ seed: 'test', now: () => NOW });
      expect([...again.batch(4_000), ...Array.from({ length: 1_000 }, () => again.next())]).toEqual(events.slice(0, 5_000));
      expect(createGenerator({ seed: 'other', now: () => NOW }).batch(100)).not.toEqual(events.slice(0, 100));
    } finally {
      random.mockRestore();
    }
  });

  it('keeps carts consistent: every purchase holds what its session added and did not remove', () => {
    let purchases = 0;
    for (const session of bySession(events).values()) {
      const cart = new Map<string, number>();
      for (const e of session) {
        if (e.event_type === 'add_to_cart') cart.set(e.properties.product_id, (cart.get(e.properties.product_id) ?? 0) + e.properties.quantity);
        if (e.event_type === 'remove_from_cart') {
          expect(cart.get(e.properties.product_id)).toBe(e.properties.quantity);
          cart.delete(e.properties.product_id);
        }
        if (e.event_type === 'purchase') {
          purchases++;
          const items = e.properties.items ?? [];
          expect(items.length).toBeGreaterThan(0);
          expect(new Map(items.map((i) => [i.product_id, i.quantity]))).toEqual(cart);
          const cents = items.reduce((s, i) => s + Math.round((i.price ?? 0) * 100) * (i.quantity ?? 1), 0);
          expect(Math.round(e.properties.revenue * 100)).toBe(cents);
          expect(e.properties.order_id).toBeTruthy();
          expect(e.properties.currency).toBe('USD');
        }
      }
    }
    expect(purchases).toBeGreaterThan(20);
  });

  it('mixes logged-in, anonymous and both-identified shoppers', () => {
    const both = events.filter((e) => e.user_id && e.anonymous_id).length;
    const userOnly = events.filter((e) => e.user_id && !e.anonymous_id).length;
    const anonOnly = events.filter((e) => !e.user_id && e.anonymous_id).length;
    expect(Math.min(both, userOnly, anonOnly)).toBeGreaterThan(200);
  });

  it('follows the measured profile: type mix, funnel, categories and popularity', () => {
    const many = createGenerator({ seed: 7, now: () => NOW }).batch(60_000);
    const sessions = [...bySession(many).values()];
    const views = many.filter((e) => e.event_type === 'product_view');
    const purchaseItems = many.reduce((s, e) => s + (e.event_type === 'purchase' ? e.properties.items?.length ?? 0 : 0), 0);
    // REES46's own event types: a view, a cart row and one row per purchased item.
    const rees = views.length + count(many, 'add_to_cart') + purchaseItems;
    expect(Math.abs(views.length / rees - P.eventTypeShare.view)).toBeLessThan(0.015);
    expect(Math.abs(purchaseItems / rees - P.eventTypeShare.purchase)).toBeLessThan(0.004);

    const share = (pred: (s: StorefrontEvent[]) => boolean) => sessions.filter(pred).length / sessions.length;
    const buying = sessions.filter((s) => s.some((e) => e.event_type === 'purchase'));
    expect(Math.abs(share((s) => s.some((e) => e.event_type === 'add_to_cart')) - P.funnel.cartOrPurchaseSessionShare)).toBeLessThan(0.01);
    expect(Math.abs(buying.length / sessions.length - P.funnel.purchasingSessionShare)).toBeLessThan(0.008);
    expect(Math.abs(purchaseItems / buying.length - P.funnel.itemsPerPurchase)).toBeLessThan(0.1);
    expect(Math.abs(views.length / sessions.length - P.sessions.eventsPerSession.mean)).toBeLessThan(0.35);

    const smartphones = views.filter((e) => e.properties.category === 'electronics.smartphone').length / views.length;
    expect(Math.abs(smartphones - P.categories.top[0].eventShare)).toBeLessThan(0.04);
    const perProduct = new Map<string, number>();
    for (const e of views) perProduct.set(e.properties.product_id, (perProduct.get(e.properties.product_id) ?? 0) + 1);
    const sorted = [...perProduct.values()].sort((a, b) => b - a);
    const top10 = sorted.slice(0, Math.ceil(P.counts.products * 0.1)).reduce((s, n) => s + n, 0) / views.length;
    expect(Math.abs(top10 - P.popularity.top10PctViewShare)).toBeLessThan(0.08);
  });

  it('draws catalog prices around the measured distribution', () => {
    const { products } = createGenerator({ seed: 3 }).catalog;
    expect(products).toHaveLength(P.counts.products);
    const prices = products.map((p) => p.price).sort((a, b) => a - b);
    const median = prices[prices.length >> 1];
    expect(median / P.price.p50).toBeGreaterThan(0.8);
    expect(median / P.price.p50).toBeLessThan(1.25);
    expect(concurrencyFor(10)).toBe(Math.round(10 * P.sessions.gapSeconds.p50));
  });
});
