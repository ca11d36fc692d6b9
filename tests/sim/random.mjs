// A seeded random source (xorshift128+ over a splitmix64-expanded seed, in 32-bit halves so it
// stays in plain numbers): every choice a simulation makes comes from one of these, so a seed is
// a run.

/** The random source of seed `seed` (any safe integer). */
export function random(seed) {
  let x = seed >>> 0;
  let y = Math.floor(seed / 2 ** 32) >>> 0;
  // splitmix32 twice: distinct, non-zero state for every seed, 0 included.
  const mix = (v) => {
    v = (v + 0x9e3779b9) >>> 0;
    let z = v;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return [v, (z ^ (z >>> 16)) >>> 0];
  };
  let a, b, c, d;
  [x, a] = mix(x ^ 0x5bd1e995);
  [x, b] = mix(x ^ y);
  [y, c] = mix(y ^ 0x27d4eb2f);
  [y, d] = mix(y ^ x);
  if ((a | b | c | d) === 0) a = 1;
  /** A uniform number in [0, 1) (xoshiro128**). */
  const next = () => {
    const r = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = rotl(d, 11);
    return r / 2 ** 32;
  };
  const self = {
    next,
    /** An integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    /** An integer in [lo, hi]. */
    between: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** True with probability p. */
    chance: (p) => next() < p,
    /** One of `items`. */
    pick: (items) => items[Math.floor(next() * items.length)],
    /** One of `[weight, value]` pairs, by weight. */
    weighted(pairs) {
      let total = 0;
      for (const [w] of pairs) total += w;
      let x = next() * total;
      for (const [w, v] of pairs) {
        if ((x -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
    /** A new independent source drawn from this one. */
    fork: () => random(Math.floor(next() * 2 ** 32) + Math.floor(next() * 2 ** 20) * 2 ** 32),
  };
  return self;
}

const rotl = (v, k) => ((v << k) | (v >>> (32 - k))) >>> 0;
