import { addInto, emptyAcc, type Acc, type Part } from './gram';
import { alphaFor, tensorInLayer, type AlphaSpec, type GroupGrid } from './aggregate';
import { pairIndex, vectorIndex, type StatsPlan } from './plan';
import type { TensorSpectral } from './run-spectral';
import type { TensorStats } from './run-stats';

/**
 * θ_meta = θ_pre + α·γ_r with γ_r the best rank-r approximation of γ per matrix (Eckart–Young:
 * γ_r = U_rU_rᵀγ from the spectral pass's leading singular pairs). The α preview needs only ‖γ_r‖² and
 * ⟨D, γ_r⟩ (D = θ_down − θ_pre), both sums over the first r pairs: Σ σᵢ² and Σ ⟨D, σᵢuᵢvᵢᵀ⟩. So a
 * tensor's accumulator with those two Gram entries replaced gives ‖θ_meta − θ_pre‖, ‖Δ‖ and cos(γ, Δ)
 * of the truncated merge through the ordinary metrics (./metrics.ts); no weights are read again.
 * Tensors that are not matrices (norms, biases) keep γ whole, as a rank-r adapter would keep them.
 * Other Gram entries involving γ (γ·τ_sft …) are left as they are: only the preview's metrics read the
 * truncated accumulators.
 */
export interface Truncation {
  /** Matrices without a spectrum (the spectral pass has not reached them): taken whole. */
  missing: number;
  /** Matrices whose spectrum is shorter than r and not complete (r > k): truncated at k. */
  clipped: number;
}

/**
 * A copy of `t.acc` (or of `whole`, one layer's slice of it) with ‖γ‖² and ⟨γ, D⟩ those of γ_r, summed
 * over `spectra` (the layers of a stacked tensor are truncated each); ⟨γ, D⟩ is NaN when the pass
 * computed no projections.
 */
export function truncatedAcc(plan: StatsPlan, t: TensorStats, spectra: readonly TensorSpectral[], r: number, whole: Acc = t.acc): Acc {
  const ig = vectorIndex(plan, 'gamma');
  const p = pairIndex(plan, ig, vectorIndex(plan, 'down'));
  const acc: Acc = { vectors: whole.vectors.map((v) => ({ ...v })), pairs: whole.pairs.map((x) => ({ ...x })) };
  let gg = 0;
  let gd = 0;
  for (const s of spectra) {
    const n = Math.min(r, s.gamma.sigma.length);
    for (let i = 0; i < n; i++) gg += s.gamma.sigma[i] ** 2;
    const dp = s.downDotPairs;
    if (!dp) gd = NaN;
    else for (let i = 0; i < n; i++) gd += dp[i];
  }
  acc.vectors[ig].sumSq = gg;
  if (p >= 0) acc.pairs[p].dot = gd;
  return acc;
}

/**
 * Per block of a grid, the part (summed accumulator, the layer's α) of θ_meta with γ truncated to
 * rank r in every matrix that has a spectrum.
 */
export function truncatedLayerParts(
  plan: StatsPlan, g: GroupGrid, tensors: readonly TensorStats[], spectra: ReadonlyMap<string, readonly TensorSpectral[]>, r: number, alpha: AlphaSpec,
  count: Truncation = { missing: 0, clipped: 0 },
): Map<number | null, Part> {
  const out = new Map<number | null, Part>();
  for (const b of g.blocks) out.set(b, { acc: emptyAcc(plan), alpha: alphaFor(alpha, g.group, b) });
  for (const cell of g.cells.values()) {
    const part = out.get(cell.block)!;
    for (const i of cell.tensors) {
      const t = tensors[i];
      // A stacked tensor stands in each layer's row with that layer's slice (aggregate.ts), truncated by that layer's spectrum.
      const { acc: whole, slice } = tensorInLayer(t, cell.block);
      const all = spectra.get(t.name);
      const s = all && slice ? all.filter((x) => (x.layer ?? 0) === cell.block) : all;
      if (!s?.length) {
        if (t.shape.length >= 2 && t.numel > 0) count.missing++;
        addInto(part.acc, whole);
        continue;
      }
      if (s.some((x) => r > x.gamma.sigma.length && x.gamma.sigma.length < Math.min(...x.matrix))) count.clipped++;
      addInto(part.acc, truncatedAcc(plan, t, s, r, whole));
    }
  }
  return out;
}
