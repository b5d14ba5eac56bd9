/**
 * CPU twin of DARE's drop-and-rescale step. For term j and element i (tensor index g = first + i):
 *
 *   d    = b_j === null ? x[a_j] : f32(x[a_j] − x[b_j])
 *   m    = hash(seed, salt_j, g) ≥ dropBelow ? r : 0          (hash.ts; r = f32(1/(1 − p)))
 *   τ'_j = f32(d · m)
 *
 * Multiplying by 0 (rather than selecting 0) keeps PyTorch's `delta * mask` semantics: a dropped NaN or
 * ±Inf entry still yields NaN. The τ' then go through combine (as single-input terms, in j order) or
 * TIES (thresholds ignored), exactly as combine.ref.ts / ties.ref.ts describe.
 */
import { dareDropBelow, dareRescale, dareTermKey, dareElementHash, fmix32 } from './hash';

/** Fills `out` with τ'_j for one term; `xb` null means the term is x[a] alone. */
export function dareTermRef(
  xa: Float32Array, xb: Float32Array | null, seed: number, salt: number, p: number,
  firstElement: number, out: Float32Array,
): void {
  const n = out.length;
  const key = dareTermKey(seed, salt);
  const drop = dareDropBelow(p);
  const r = dareRescale(p);
  // The high word of the element index changes at most once per chunk of < 2^32 elements.
  const firstLo = firstElement >>> 0;
  const firstHi = Math.floor(firstElement / 4294967296);
  const mixLo = fmix32((key ^ firstHi) >>> 0);
  const mixHi = fmix32((key ^ (firstHi + 1)) >>> 0);
  for (let i = 0; i < n; i++) {
    const lo = (firstLo + i) >>> 0;
    const h = dareElementHash(lo < firstLo ? mixHi : mixLo, lo);
    const d = xb === null ? xa[i] : Math.fround(xa[i] - xb[i]);
    out[i] = d * (h >= drop ? r : 0);
  }
}
