import { datasetAvailable, REES46_SAMPLE_PATH } from '../replay/replay-common';
import { fitZipfExponent, zipfTopShare } from './measure-catalog';
import { measureRees46 } from './measure';
import { REES46_PROFILE } from './rees46-profile';

/** Paths of every number that differs by more than the tolerance, and of any other mismatch. */
function differences(actual: unknown, expected: unknown, at = '$'): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') {
    const ok = Math.abs(actual - expected) <= Math.max(1e-3, Math.abs(expected) * 0.005);
    return ok ? [] : [`${at}: measured ${actual}, committed ${expected}`];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (actual.length !== expected.length) return [`${at}: length ${actual.length} vs ${expected.length}`];
    return expected.flatMap((e, i) => differences(actual[i], e, `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object' && actual !== null && typeof actual === 'object') {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    return [...keys].flatMap((k) => differences((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return actual === expected ? [] : [`${at}: measured ${JSON.stringify(actual)}, committed ${JSON.stringify(expected)}`];
}

describe('zipf fit', () => {
  it('recovers the exponent it was given', () => {
    const share = zipfTopShare(5000, 0.1, 0.8);
    expect(fitZipfExponent(5000, 0.1, share)).toBeCloseTo(0.8, 4);
    expect(fitZipfExponent(5000, 0.1, 0.1)).toBe(0);
  });
});

describe('REES46 profile constants', () => {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  it('add up: shares are parts of one whole, within rounding', () => {
    const { top, other, empty } = REES46_PROFILE.categories;
    expect(sum([...top.map((c) => c.eventShare), other.eventShare, empty.eventShare])).toBeCloseTo(1, 2);
    expect(sum([...top.map((c) => c.productShare), other.productShare, empty.productShare])).toBeCloseTo(1, 2);
    expect(sum(Object.values(REES46_PROFILE.eventTypeShare))).toBeCloseTo(1, 2);
    expect(sum(REES46_PROFILE.sessions.eventsHistogram)).toBeCloseTo(1, 2);
    expect(sum(REES46_PROFILE.brands.top.map((b) => b.productShare)) + REES46_PROFILE.brands.emptyProductShare).toBeLessThan(1);
  });

  it('has ordered quantiles everywhere the generator interpolates', () => {
    const { top, other, empty } = REES46_PROFILE.categories;
    for (const p of [...top.map((c) => c.price), other.price, empty.price, REES46_PROFILE.price]) {
      const knots = [p.min, p.p05, p.p10, p.p25, p.p50, p.p75, p.p90, p.p95, p.max];
      expect(knots).toEqual([...knots].sort((a, b) => a - b));
    }
  });
});

const present = datasetAvailable(REES46_SAMPLE_PATH, { ci: process.env.CI === 'true' });

(present ? describe : describe.skip)('REES46 profile (real sample)', () => {
  it('the committed constants match a fresh measurement of the file', async () => {
    const measured = await measureRees46(REES46_SAMPLE_PATH);
    expect(differences(measured, REES46_PROFILE)).toEqual([]);
    // The README's published figures, so a changed sample is noticed here too.
    expect(measured.counts).toMatchObject({ events: 17433, products: 6492, users: 4504, sessions: 5066 });
  });
});
