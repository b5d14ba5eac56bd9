/**
 * Reference of TIES (trim, elect sign, disjoint merge) per element, mergekit semantics, evaluated in
 * float64 (ties.wgsl.ts mirrors it in double-float arithmetic), then rounded ONCE (common/f64.ref.ts):
 *
 *   τ_j    = ftz(the term's delta)  (x[a_j] − x[b_j] or x[a_j] in float64, or DARE's rescaled delta)
 *   s_j    = ftz(w_j · τ_j)         (w_j as float64)
 *            ftz(v) = 0 when |v| < 2^-126. A GPU may flush float32 subnormals and the trim, the elected
 *            sign and the agreement must not hinge on that, so every engine treats such τ, w·τ and
 *            mass as zero. Only entries below 1.2e-38 are affected.
 *   kept_j = keepAll || isNaN(τ_j) || f32(|τ_j|) ≥ f32(thr_j)
 *            (NaN is never trimmed). The comparison is on float32 magnitudes because the per-tensor
 *            threshold is the k-th largest float32 |x[a] − x[b]| (src/merge/kth-largest.ts): f32(|τ|)
 *            is exactly that key (f32 rounding of the exact difference), so the k largest are kept
 *            whatever precision an engine computes τ in.
 *   mass   = Σ_j (kept_j ? s_j : 0) in j order (float64; starts at 0)
 *   mass NaN → v = NaN (an Inf against −Inf, or a NaN input, poisons the element as in PyTorch)
 *   elected sign: + when ftz(mass) ≥ 0, else −   (mergekit: a zero mass elects +)
 *   agree_j = kept_j && (elected + ? s_j > 0 : s_j < 0)   (zeros never agree: sign(0) = 0)
 *   merged  = Σ_j (agree_j ? s_j : 0) in j order (float64; starts at 0)
 *   normalize:  wsum = Σ_j (agree_j ? w_j : 0) in j order; den = wsum === 0 ? 1 : wsum;
 *               merged = merged / den          (mergekit's default: weighted disjoint mean)
 *   !normalize: merged unchanged — mergekit's normalize: false is the plain sum of agreeing entries
 *   v = x[base] + λ · merged;  out = R(v)
 */

import type { ComputeDType } from '../../../formats/dtype';
import type { DeltaTerm } from '../common/inputs';

/**
 * TIES on chunk elements: τ_j = x[a_j] − x[b_j]; entries with |τ_j| < thresholds[j] are trimmed;
 * the elected sign is sign(Σ_j w_j τ_j) over kept entries ("mass"; a zero mass elects +, as mergekit);
 * merged = Σ w_j τ_j over kept entries that agree with it, divided by Σ w_j of those entries when
 * `normalize` (mergekit's default: a weighted disjoint mean) and left as the plain sum otherwise
 * (mergekit's normalize: false); out = x[base] + lambda · merged.
 */
export interface TiesSpec {
  base: number;
  terms: DeltaTerm[];
  thresholds: number[];
  lambda: number;
  normalize: boolean;
  outDtype: ComputeDType;
}

/** The smallest normal float32; magnitudes below it count as zero in TIES decisions. */
export const TIES_TINY = 2 ** -126;

/**
 * `taus[j]` holds τ_j for every element (float64); `thresholds` null keeps everything (DARE-TIES).
 * Writes the float64 values v (before rounding) into `out`.
 */
export function tiesRef(
  base: Float64Array, taus: Float64Array[], weights: number[], thresholds: number[] | null,
  lambda: number, normalize: boolean, out: Float64Array,
): void {
  const n = out.length;
  const k = taus.length;
  const thr = thresholds ? thresholds.map(Math.fround) : null;
  const s = new Float64Array(k);
  const kept = new Uint8Array(k);
  for (let i = 0; i < n; i++) {
    let mass = 0;
    for (let j = 0; j < k; j++) {
      let t = taus[j][i];
      if (Math.abs(t) < TIES_TINY) t = 0;
      kept[j] = thr === null || t !== t || Math.fround(Math.abs(t)) >= thr[j] ? 1 : 0;
      let sj = weights[j] * t;
      if (Math.abs(sj) < TIES_TINY) sj = 0;
      s[j] = sj;
      if (kept[j]) mass = mass + sj;
    }
    if (mass !== mass) {
      out[i] = NaN;
      continue;
    }
    const pos = mass > -TIES_TINY;
    let merged = 0;
    let wsum = 0;
    for (let j = 0; j < k; j++) {
      const sj = s[j];
      if (kept[j] && (pos ? sj > 0 : sj < 0)) {
        merged = merged + sj;
        wsum = wsum + weights[j];
      }
    }
    if (normalize) merged = merged / (wsum === 0 ? 1 : wsum);
    out[i] = base[i] + lambda * merged;
  }
}
