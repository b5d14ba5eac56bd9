/**
 * CPU twin of the combine kernel, on decoded float32 inputs. Every step is one float32 operation
 * (a Float32Array store or Math.fround after a double op of two float32 values is the correctly
 * rounded float32 result, since a double holds more than 2·24+2 bits). The evaluation order, which
 * combine.wgsl.ts follows step by step:
 *
 *   w_j = f32(term j weight), s = f32(scale)
 *   d_j = b_j === null ? x[a_j] : f32(x[a_j] − x[b_j])
 *   acc = f32(w_0·d_0);  acc = f32(acc + f32(w_j·d_j)) for j = 1, 2, …   (no terms: acc = 0)
 *   out = base === null ? f32(s·acc) : f32(x[base] + f32(s·acc))
 *
 * A GPU may contract a·b + c into one fused multiply-add (WGSL cannot forbid it), which skips one
 * rounding: results may then differ by 1 ulp of float32, hence the parity rule "≤ 1 ulp of the
 * output dtype and ≥ 99.9% bit-exact" rather than "always bit-exact".
 */
import type { CombineSpec } from '../../engine';

/** Writes the float32 results into `out` (length n). Inputs are indexed as the spec's terms say. */
export function combineRef(x: Float32Array[], spec: CombineSpec, out: Float32Array): void {
  const n = out.length;
  const terms = spec.terms;
  if (terms.length === 0) out.fill(0);
  for (let j = 0; j < terms.length; j++) {
    const t = terms[j];
    const w = Math.fround(t.w);
    const xa = x[t.a];
    if (t.b === null) {
      if (j === 0) for (let i = 0; i < n; i++) out[i] = w * xa[i];
      else for (let i = 0; i < n; i++) out[i] = out[i] + Math.fround(w * xa[i]);
    } else {
      const xb = x[t.b];
      if (j === 0) for (let i = 0; i < n; i++) out[i] = w * Math.fround(xa[i] - xb[i]);
      else for (let i = 0; i < n; i++) out[i] = out[i] + Math.fround(w * Math.fround(xa[i] - xb[i]));
    }
  }
  const s = Math.fround(spec.scale);
  if (spec.base === null) {
    for (let i = 0; i < n; i++) out[i] = s * out[i];
  } else {
    const xb = x[spec.base];
    for (let i = 0; i < n; i++) out[i] = xb[i] + Math.fround(s * out[i]);
  }
}
