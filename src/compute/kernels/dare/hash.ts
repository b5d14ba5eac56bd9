/**
 * The counter-based hash behind DARE masks. Implemented twice on purpose: here in u32 TypeScript
 * (CPU engine, and the per-term key the WebGPU engine uploads) and in WGSL (dare.wgsl.ts). Both use
 * only wrapping u32 add, multiply, xor and shifts, so a mask depends on (seed, salt, element index)
 * alone — never on chunking or on the engine.
 *
 *   key_j = fmix32(fmix32(salt_j) ^ seed)                     (per term, computed on the host)
 *   c     = fmix32(key_j ^ hi)                                 (hi = element index / 2^32)
 *   h     = fmix32(lo · 0x9E3779B1 + c)                        (lo = element index mod 2^32)
 *   kept  ⇔ h ≥ dropBelow,  dropBelow = floor(p · 2^32)
 * fmix32 is MurmurHash3's finaliser (a bijection with full avalanche); the golden-ratio multiply
 * spreads consecutive counters before it.
 */
export function fmix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

export function dareTermKey(seed: number, salt: number): number {
  return fmix32((fmix32(salt >>> 0) ^ (seed >>> 0)) >>> 0);
}

/** Hash of one element for a term key; `hiMix` = fmix32(key ^ hi). */
export function dareElementHash(hiMix: number, lo: number): number {
  return fmix32((Math.imul(lo >>> 0, 0x9e3779b1) + hiMix) >>> 0);
}

/** Elements whose hash is below this are dropped. Requires 0 ≤ p < 1. */
export function dareDropBelow(p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`DARE drop probability must be in [0, 1), got ${p}`);
  return Math.min(0xffffffff, Math.floor(p * 4294967296));
}

/**
 * The keep mask of `n` elements starting at tensor element `firstElement` (1 = kept). For tests and
 * for callers that want to show or save a mask.
 */
export function dareMask(seed: number, salt: number, p: number, firstElement: number, n: number): Uint8Array {
  const key = dareTermKey(seed, salt);
  const drop = dareDropBelow(p);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const g = firstElement + i;
    const hi = Math.floor(g / 4294967296);
    out[i] = dareElementHash(fmix32((key ^ hi) >>> 0), g >>> 0) >= drop ? 1 : 0;
  }
  return out;
}
