import type { StorefrontEvent } from '../../contract/events';
import { createEventValidator } from '../../contract/validate';
import { createGenerator } from '../../ingest/generator/generator';
import { readEvents } from '../../ingest/replay/read-events';
import { REES46_SAMPLE_PATH, datasetAvailable } from '../../ingest/replay/replay-common';
import { dlq } from '../step-result';
import { createApplyRulesStep, type RuleStep } from './apply-rules.step';
import { bundledRulesDir, loadRuleSet } from './load-ruleset';

/** The rules shipped in rules/, each on real-looking events: generator output and REES46 rows. */
const NOW = Date.parse('2026-11-23T10:00:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;

const stepWith = (params: Record<string, number> = {}): RuleStep => {
  const set = loadRuleSet(bundledRulesDir(), params);
  return createApplyRulesStep({ rules: () => set, threshold: 0.5 });
};

/** Generated events on a clock that moves 1 s per event: about a minute between a session's steps. */
function generated(n: number, seed = 'rules'): StorefrontEvent[] {
  let t = NOW - n * 1000;
  return createGenerator({ seed, now: () => (t += 1000) }).batch(n);
}
const firstOf = <T extends StorefrontEvent['event_type']>(type: T, seed = 'rules') => generated(2000, seed).find((e) => e.event_type === type) as Extract<StorefrontEvent, { event_type: T }>;
const edit = <E extends StorefrontEvent>(e: E, f: (copy: E) => void): E => {
  const copy = structuredClone(e);
  f(copy);
  return copy;
};

describe('built-in rules on generated events', () => {
  const events = generated(10_000);

  it('keep every generated event, scrub its IP and pass the contract after fixing', () => {
    const step = stepWith();
    const validate = createEventValidator();
    const results = events.map((e) => step(e, Date.parse(e.occurred_at) + 500));
    expect(results.filter((r) => r.kind !== 'ok')).toEqual([]);
    for (const r of results) {
      if (r.kind !== 'ok') continue;
      expect(r.value.quality).toEqual({ score: 1, rulesHit: ['truncate_ip'], rulesVersion: expect.stringMatching(/^2026\.11\.1\+[0-9a-f]{8}$/) });
      expect(r.value.event.context?.ip).toMatch(/^(192\.0\.2|198\.51\.100|203\.0\.113)\.0$/);
      expect(validate(r.value.event).ok).toBe(true);
    }
  });

  it('drop crawlers by user agent as bots, but not phones whose name contains "bot"', () => {
    const step = stepWith();
    const view = firstOf('product_view');
    const ua = (s: string) => edit(view, (e) => void (e.context = { ...e.context, user_agent: s }));
    for (const agent of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0)', 'python-requests/2.31.0', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36', 'curl/8.5.0', 'facebookexternalhit/1.1']) {
      expect(step(ua(agent), NOW)).toEqual(dlq('bot', [expect.stringContaining('crawler')], 'bot_user_agent'));
    }
    expect(step(ua('Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36'), NOW).kind).toBe('ok');
  });

  it('score sessions that tick like a timer, and quarantine the ones that are also fast', () => {
    const session = (gapMs: (i: number) => number, id: string) => {
      const step = stepWith();
      const base = firstOf('product_view');
      let t = NOW - 3_600_000;
      return Array.from({ length: 20 }, (_, i) => {
        t += gapMs(i);
        const e = edit(base, (c) => Object.assign(c, { event_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, session_id: id, occurred_at: new Date(t).toISOString() }));
        return step(e, t + 200);
      });
    };
    const robot = session(() => 1000, 'robot').at(-1)!; // 60 events a minute, 0 variation
    expect(robot).toEqual(dlq('low_quality', [expect.stringContaining('bot_fast_session, bot_regular_timing')], 'bot_fast_session'));
    const slowTimer = session(() => 5000, 'slow').at(-1)!; // regular, but at a human pace: tagged only
    expect(slowTimer.kind === 'ok' && slowTimer.value.quality).toMatchObject({ score: 0.58, rulesHit: expect.arrayContaining(['bot_regular_timing']) });
    const gaps = [4000, 31000, 9000, 2000, 65000, 12000, 7000, 45000, 3000, 22000];
    const person = session((i) => gaps[i % gaps.length], 'person');
    expect(person.every((r) => r.kind === 'ok' && !r.value.quality.rulesHit.some((h) => h.startsWith('bot')))).toBe(true);
  });

  it('quarantine impossible values with the rule that caught them', () => {
    const step = stepWith();
    const view = firstOf('product_view');
    const cart = firstOf('add_to_cart');
    const purchase = firstOf('purchase');
    expect(step(edit(view, (e) => void (e.properties.price = -5)), NOW)).toEqual(dlq('price_negative', ['A price below zero.'], 'price_negative'));
    expect(step(edit(cart, (e) => void (e.properties.quantity = 0)), NOW)).toEqual(dlq('quantity_not_positive', [expect.any(String)], 'quantity_not_positive'));
    expect(step(edit(purchase, (e) => void (e.properties.items![0].price = -1)), NOW)).toEqual(dlq('price_negative', [expect.any(String)], 'item_price_negative'));
    expect(step(edit(purchase, (e) => void (e.properties.revenue = -10)), NOW)).toEqual(dlq('revenue_negative', [expect.any(String)], 'revenue_negative'));
    expect(step(edit(view, (e) => void (e.properties.currency = 'XYZ')), NOW)).toEqual(dlq('currency_not_iso4217', [expect.any(String)], 'currency_not_iso4217'));
    const lower = step(edit(view, (e) => void (e.properties.currency = 'eur')), NOW);
    expect(lower.kind === 'ok' && [lower.value.event.properties, lower.value.quality.rulesHit]).toEqual([expect.objectContaining({ currency: 'EUR' }), ['normalise_currency', 'truncate_ip']]);
    const pricey = step(edit(view, (e) => void (e.properties.price = 5e7)), NOW);
    expect(pricey.kind === 'ok' && pricey.value.quality).toMatchObject({ score: 0.7, rulesHit: ['price_implausible', 'truncate_ip'] });
  });

  it('tag late events within the horizon, quarantine older and future ones', () => {
    const view = firstOf('product_view');
    const at = (ageMs: number) => edit(view, (e) => void (e.occurred_at = new Date(NOW - ageMs).toISOString()));
    const step = stepWith({ late_horizon_ms: 7 * DAY });
    const late = step(at(3 * 3_600_000), NOW);
    expect(late.kind === 'ok' && late.value.quality).toMatchObject({ score: 0.9, rulesHit: ['late_event', 'truncate_ip'] });
    expect(step(at(8 * DAY), NOW)).toEqual(dlq('too_late', [expect.any(String)], 'too_late'));
    expect(stepWith({ late_horizon_ms: 10 * DAY })(at(8 * DAY), NOW).kind).toBe('ok');
    expect(step(at(-10 * MIN), NOW)).toEqual(dlq('timestamp_in_future', [expect.any(String)], 'timestamp_in_future'));
    expect(step(at(-2 * MIN), NOW).kind).toBe('ok'); // clock skew
  });

  it('need a real identity, session, product and order id', () => {
    const step = stepWith();
    const view = firstOf('product_view');
    const noAnon = edit(view, (e) => { delete e.anonymous_id; });
    expect(step(edit(noAnon, (e) => void (e.user_id = 'null')), NOW)).toEqual(dlq('identity_missing', [expect.any(String)], 'identity_missing'));
    const kept = step(edit(view, (e) => { e.user_id = 'undefined'; e.anonymous_id = 'a-123'; }), NOW);
    expect(kept.kind === 'ok' && [kept.value.event.user_id, kept.value.event.anonymous_id, kept.value.quality.rulesHit[0]]).toEqual([undefined, 'a-123', 'user_id_placeholder']);
    expect(step(edit(view, (e) => void (e.session_id = '  ')), NOW)).toEqual(dlq('session_missing', [expect.any(String)], 'session_id_missing'));
    expect(step(edit(view, (e) => void (e.properties.product_id = '{{product_id}}')), NOW)).toEqual(dlq('product_missing', [expect.any(String)], 'product_id_missing'));
    expect(step(edit(firstOf('purchase'), (e) => { delete e.properties.order_id; }), NOW)).toEqual(dlq('purchase_without_order_id', [expect.any(String)], 'purchase_without_order_id'));
  });

  it('truncate IPs and scrub e-mail addresses from URLs and searches', () => {
    const step = stepWith();
    const search = firstOf('search');
    const r = step(edit(search, (e) => {
      e.properties.query = ' jane.doe@example.com red shoes ';
      e.context = { ...e.context, ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348', page_url: 'https://shop.example.com/search?q=jane.doe%40example.com&x=1', referrer: 'https://mail.example.net/?to=bob@example.org' };
    }), NOW);
    expect(r.kind === 'ok' && r.value.event).toMatchObject({
      properties: { query: '[email] red shoes' },
      context: { ip: '2001:db8:85a3::', page_url: 'https://shop.example.com/search?q=[email]&x=1', referrer: 'https://mail.example.net/?to=[email]' },
    });
    expect(r.kind === 'ok' && r.value.quality.rulesHit).toEqual(['normalise_search_query', 'truncate_ip', 'scrub_email_page_url', 'scrub_email_referrer', 'scrub_email_search_query']);
    const garbage = step(edit(search, (e) => void (e.context = { ...e.context, ip: 'not-an-ip' })), NOW);
    expect(garbage.kind === 'ok' && 'ip' in garbage.value.event.context!).toBe(false);
  });
});

describe('built-in rules against values the contract lets through but the store cannot hold', () => {
  it('quarantine an unplaceable timestamp, drop stray quantities, keep a blank search valid', () => {
    const step = stepWith();
    const validate = createEventValidator();
    const leap = edit(firstOf('product_view'), (e) => void (e.occurred_at = '2026-12-31T23:59:60Z'));
    expect(validate(leap).ok).toBe(true);
    expect(step(leap, NOW)).toEqual(dlq('timestamp_unreadable', [expect.any(String)], 'timestamp_unreadable'));
    const stray = step(edit(firstOf('product_view'), (e) => Object.assign(e.properties, { quantity: 1e10 })), NOW);
    expect(stray.kind === 'ok' && ['quantity' in stray.value.event.properties, stray.value.quality.rulesHit[0]]).toEqual([false, 'quantity_outside_contract']);
    const blank = step(edit(firstOf('search'), (e) => void (e.properties.query = '   ')), NOW);
    expect(blank.kind === 'ok' && validate(blank.value.event).ok && blank.value.event.properties).toMatchObject({ query: '' });
  });
});

describe('built-in rules on the REES46 sample', () => {
  it('keep every row replayed to the present; rows over an hour old are tagged late', async () => {
    if (!datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' })) return;
    const step = stepWith();
    const fates = new Map<string, number>();
    let rows = 0;
    for await (const row of readEvents(REES46_SAMPLE_PATH, { shiftTo: 'now-end' })) {
      if (!row.ok) continue;
      rows++;
      const r = step(row.event, Date.now());
      const key = r.kind === 'ok' ? r.value.quality.rulesHit.join(',') || 'clean' : `${r.kind}:${r.kind === 'dlq' ? r.rule : ''}`;
      fates.set(key, (fates.get(key) ?? 0) + 1);
    }
    expect(rows).toBe(17_433);
    expect([...fates.keys()].sort()).toEqual(['clean', 'late_event']);
    expect(fates.get('late_event')).toBeGreaterThan(0);
  });
});
