/**
 * A small seeded PRNG (sfc32, seeded through cyrb128) and the sampling helpers the generator
 * needs. Deterministic across platforms: only 32-bit integer maths, no Math.random.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Index drawn from cumulative weights (ascending, last = total). */
  pickCumulative(cumulative: Float64Array | readonly number[]): number;
  /** Geometric count >= 0 with the given mean. */
  geometric(mean: number): number;
  hex(bytes: number): string;
  uuid(): string;
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

export function createRng(seed: number | string): Rng {
  let [a, b, c, d] = cyrb128(String(seed));
  const u32 = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of sfc32 are correlated with the seed.
  for (let i = 0; i < 15; i++) u32();

  const rng: Rng = {
    float: () => u32() / 4294967296,
    int: (n) => Math.floor(rng.float() * n),
    chance: (p) => rng.float() < p,
    pick: (items) => items[rng.int(items.length)],
    pickCumulative(cumulative) {
      const target = rng.float() * cumulative[cumulative.length - 1];
      let lo = 0, hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > target) hi = mid; else lo = mid + 1;
      }
      return lo;
    },
    geometric(mean) {
      if (mean <= 0) return 0;
      // Inverse CDF of the geometric distribution on {0, 1, ...} with success p = 1 / (mean + 1).
      const q = mean / (mean + 1);
      return Math.floor(Math.log(1 - rng.float()) / Math.log(q));
    },
    hex(bytes) {
      let out = '';
      for (let i = 0; i < bytes; i++) out += (u32() & 0xff).toString(16).padStart(2, '0');
      return out;
    },
    uuid() {
      const h = rng.hex(16);
      // RFC 4122 version 4 / variant 10xx, so validators that check the layout accept it.
      const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
  };
  return rng;
}

/** Cumulative sums, for `pickCumulative`. */
export function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => { sum += Math.max(0, w); out[i] = sum; });
  return out;
}
