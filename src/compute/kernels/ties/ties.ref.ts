/**
 * CPU twin of TIES (trim, elect sign, disjoint mean), per element, float32 steps in this order
 * (ties.wgsl.ts follows it; all scalar parameters are rounded to float32 first):
 *
 *   τ_j    = ftz(the term's delta)  (x[a_j] − x[b_j] rounded to f32, or DARE's rescaled delta)
 *   s_j    = ftz(f32(w_j · τ_j))
 *            ftz(v) = 0 when |v| < 2^-126: a GPU may flush float32 subnormals (SwiftShader does) and the
 *            elected sign and the count of agreeing entries must not hinge on that, so both engines
 *            treat subnormal τ, w·τ and mass as zero. Only entries below 1.2e-38 are affected.
 *   kept_j = keepAll || isNaN(τ_j) || |τ_j| ≥ thr_j        ("|τ| < thr is trimmed"; NaN is never trimmed)
 *   mass   = 0;  mass = f32(mass + (kept_j ? s_j : 0)) in j order
 *   mass NaN → out = NaN (an Inf against −Inf, or a NaN input, poisons the element as in PyTorch)
 *   elected sign: + when ftz(mass) ≥ 0, else −   (mergekit's rule: a zero mass elects +)
 *   agree_j = kept_j && (elected + ? s_j > 0 : s_j < 0)   (zeros never agree, as sign(0) = 0)
 *   sum = 0; sum = f32(sum + (agree_j ? s_j : 0));  wsum = 0; wsum = f32(wsum + (agree_j ? w_j : 0));
 *   count = number of agreeing terms
 *   den = normalize ? wsum : count;  den = den === 0 ? 1 : den   (mergekit: a zero divisor becomes 1)
 *   out = f32(x[base] + f32(λ · f32(sum / den)))
 *
 * `normalize` false divides by the count (the contract's "mean"); mergekit's normalize=false is a plain
 * sum, which a caller gets with lambda scaled by the count only if all agree — see the report.
 * WGSL's division is only required to be within 2.5 ulp; SwiftShader rounds it correctly, some GPUs may not.
 */

/** The smallest normal float32; magnitudes below it are subnormal. */
const TINY = 2 ** -126;

/**
 * `taus[j]` holds τ_j for every element; `thresholds` null keeps everything (DARE-TIES).
 * Writes float32 results into `out`.
 */
export function tiesRef(
  base: Float32Array, taus: Float32Array[], weights: number[], thresholds: number[] | null,
  lambda: number, normalize: boolean, out: Float32Array,
): void {
  const n = out.length;
  const k = taus.length;
  const w = Float32Array.from(weights);
  const thr = thresholds ? Float32Array.from(thresholds) : null;
  const lam = Math.fround(lambda);
  const s = new Float32Array(k);
  const kept = new Uint8Array(k);
  for (let i = 0; i < n; i++) {
    let mass = 0;
    for (let j = 0; j < k; j++) {
      let t = taus[j][i];
      if (Math.abs(t) < TINY) t = 0;
      kept[j] = thr === null || t !== t || Math.abs(t) >= thr[j] ? 1 : 0;
      let sj = Math.fround(w[j] * t);
      if (Math.abs(sj) < TINY) sj = 0;
      s[j] = sj;
      if (kept[j]) mass = Math.fround(mass + sj);
    }
    if (mass !== mass) {
      out[i] = NaN;
      continue;
    }
    const pos = mass > -TINY;
    let sum = 0;
    let wsum = 0;
    let count = 0;
    for (let j = 0; j < k; j++) {
      const sj = s[j];
      if (kept[j] && (pos ? sj > 0 : sj < 0)) {
        sum = Math.fround(sum + sj);
        wsum = Math.fround(wsum + w[j]);
        count++;
      }
    }
    let den = normalize ? wsum : count;
    if (den === 0) den = 1;
    out[i] = base[i] + Math.fround(lam * Math.fround(sum / den));
  }
}
