import type { Rng } from './prng';

/**
 * Who a synthetic shopper is and what their browser reports. None of this is in REES46 (it has
 * product events only), so the mixes below are plausible storefront defaults, not measurements.
 */
const USER_AGENTS: readonly [string, number][] = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 30],
  ['Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', 22],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 20],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 9],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 7],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67', 6],
  ['Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36', 4],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 2],
];

// REES46 is a Russian multi-category store; the locale mix leans that way.
const LOCALES: readonly [string, number][] = [
  ['ru-RU', 45], ['en-US', 20], ['uk-UA', 8], ['kk-KZ', 6], ['en-GB', 6], ['de-DE', 5], ['uz-UZ', 4], ['fr-FR', 3], ['es-ES', 3],
];

const REFERRERS: readonly [string | undefined, number][] = [
  [undefined, 35], // typed in or bookmarked
  ['https://www.google.com/', 30],
  ['https://yandex.ru/', 15],
  ['https://www.facebook.com/', 6],
  ['https://www.instagram.com/', 5],
  ['https://mail.example.net/', 5], // newsletter click
  ['https://www.bing.com/', 4],
];

function weighted<T>(rng: Rng, table: readonly [T, number][]): T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let x = rng.float() * total;
  for (const [value, w] of table) {
    x -= w;
    if (x < 0) return value;
  }
  return table[table.length - 1][0];
}

export interface Shopper {
  userId?: string;
  anonymousId?: string;
  userAgent: string;
  locale: string;
  ip: string;
}

export interface IdentityMix {
  /** Share of shoppers who are logged in (carry user_id). */
  loggedInShare: number;
  /** Share of logged-in shoppers whose events also carry the device's anonymous_id. */
  loggedInWithAnonymousShare: number;
}

export const DEFAULT_IDENTITY: IdentityMix = { loggedInShare: 0.4, loggedInWithAnonymousShare: 0.7 };

export function createShopper(rng: Rng, identity: IdentityMix): Shopper {
  const loggedIn = rng.chance(identity.loggedInShare);
  // REES46-style numeric user ids, so generated and replayed data look alike downstream.
  const userId = loggedIn ? String(500_000_000 + rng.int(100_000_000)) : undefined;
  const anonymousId = !loggedIn || rng.chance(identity.loggedInWithAnonymousShare) ? rng.uuid() : undefined;
  // Documentation address ranges (RFC 5737): realistic shape, never a real person's address.
  const prefix = rng.pick(['192.0.2', '198.51.100', '203.0.113']);
  return { userId, anonymousId, userAgent: weighted(rng, USER_AGENTS), locale: weighted(rng, LOCALES), ip: `${prefix}.${1 + rng.int(254)}` };
}

export function pickReferrer(rng: Rng): string | undefined {
  return weighted(rng, REFERRERS);
}
