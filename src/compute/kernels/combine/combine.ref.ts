/**
 * Reference of the combine kernel (the CPU twin's plain version; combine.cpu.ts is the fast path and
 * must give the same bits; combine.wgsl.ts mirrors it in double-float arithmetic).
 *
 *   out = R( (base === null ? 0 : x[base]) + scale · Σ_j w_j · (x[a_j] − x[b_j]) )
 *
 * x are the inputs decoded exactly (common/f64.ref.ts); R rounds ONCE, to nearest even, from float64
 * straight into the output dtype (f64.ref.ts: no float32 step, NaN canonical, f16 overflow ±Inf).
 * Evaluated in float64 in this order, w_j and scale as float64 (not rounded to float32):
 *
 *   d_j = b_j === null ? x[a_j] : x[a_j] − x[b_j]
 *   acc = w_0 · d_0;  acc = acc + w_j · d_j for j = 1, 2, …      (no terms: acc = 0)
 *   v   = base === null ? scale · acc : x[base] + scale · acc
 *
 * (a separate multiply and add, no fma). IEEE float64 semantics for special values: any NaN → NaN,
 * Inf − Inf → NaN, 0 · Inf → NaN (a zero weight does not hide an Inf input, as in PyTorch).
 * Because the float64 value is within a few 2^-53 of the exact one, out is the exact result rounded
 * once except in vanishingly rare near-boundary cases (≤ 1 ulp), also where terms cancel.
 */
import type { ComputeDType } from '../../../formats/dtype';
import type { DeltaTerm } from '../common/inputs';

/** out = (base === null ? 0 : x[base]) + scale · Σ_j w_j · (x[a_j] − x[b_j]). */
export interface CombineSpec {
  base: number | null;
  terms: DeltaTerm[];
  scale: number;
  outDtype: ComputeDType;
}


/** Writes the float64 values v (before rounding) into `out` (length n). */
export function combineRef(x: Float64Array[], spec: CombineSpec, out: Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) {
    let acc = 0;
    spec.terms.forEach((t, j) => {
      const d = t.b === null ? x[t.a][i] : x[t.a][i] - x[t.b][i];
      acc = j === 0 ? t.w * d : acc + t.w * d;
    });
    out[i] = spec.base === null ? spec.scale * acc : x[spec.base][i] + spec.scale * acc;
  }
}
