/**
 * Reference of DARE's drop-and-rescale step (float64; dare.wgsl.ts mirrors it in double-float). For
 * term j and element i (tensor index g = firstElement + i), with p_j = spec.p[j] (one drop probability
 * per term — mergekit's per-model density is 1 − p_j):
 *
 *   d       = b_j === null ? x[a_j] : x[a_j] − x[b_j]                    (float64)
 *   keep    = hash(seed, salt_j, g) ≥ dareDropBelow(p_j)                 (hash.ts, unchanged u32 hash;
 *             dropBelow = floor(p_j · 2^32), so p_j = 0 keeps everything)
 *   density = 1 − p_j                                                     (float64)
 *   τ'_j    = keep ? d / density : d · 0                                  (float64 division)
 *
 * Dividing by the density (not multiplying by a float32 1/(1 − p)) is mergekit's `res / density`.
 * Multiplying a dropped entry by 0 (rather than selecting 0) keeps PyTorch's `delta * mask` semantics:
 * a dropped NaN or ±Inf still yields NaN. The τ'_j then go through combine (as single-input terms
 * {τ'_j, w_j}, in j order, with spec.scale and spec.base) or TIES (ties.ref.ts, keepAll, λ = scale,
 * spec.normalize) exactly as combine.ref.ts / ties.ref.ts describe, and the result is rounded once.
 */
import type { ComputeDType } from '../../../formats/dtype';
import type { DeltaTerm } from '../common/inputs';
import { dareDropBelow, dareTermKey, dareElementHash, fmix32 } from './hash';

/**
 * DARE: each τ_j entry is kept with probability 1 − p_j, decided by a counter-based hash of
 * (seed, salt_j, element index) so the mask does not depend on chunking or engine; survivors are
 * scaled by 1/(1 − p_j). Then combined like `combine` (or TIES with `ties` set, thresholds ignored).
 */
export interface DareSpec {
  base: number;
  terms: DeltaTerm[];
  /** Drop probability per term, each in [0, 1) (mergekit: 1 − density of that model). */
  p: number[];
  seed: number;
  /** One salt per term (e.g. a hash of tensor name and model index). */
  salts: number[];
  /** Index of the chunk's first element inside its tensor. */
  firstElement: number;
  scale: number;
  ties: boolean;
  normalize: boolean;
  outDtype: ComputeDType;
}


/** Fills `out` with τ'_j (float64) for one term with drop probability `p`; `xb` null means x[a] alone. */
export function dareTermRef(
  xa: Float64Array, xb: Float64Array | null, seed: number, salt: number, p: number,
  firstElement: number, out: Float64Array,
): void {
  const n = out.length;
  const key = dareTermKey(seed, salt);
  const drop = dareDropBelow(p);
  const density = 1 - p;
  for (let i = 0; i < n; i++) {
    const g = firstElement + i;
    const h = dareElementHash(fmix32((key ^ Math.floor(g / 4294967296)) >>> 0), g >>> 0);
    const d = xb === null ? xa[i] : xa[i] - xb[i];
    out[i] = h >= drop ? d / density : d * 0;
  }
}
