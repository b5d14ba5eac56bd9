/**
 * The best rank-r factorisation of one matrix M ≈ B·A (Eckart–Young), from the float64 SVD of
 * ../../analysis/spectral.ts: U_r (left singular vectors) and σ from `topSvd` (randomised, or exact
 * where the matrix is small), then A = diag(1/√σ)·U_rᵀ·M = √Σ·V_rᵀ and B = U_r·√Σ, so B·A = U_r·U_rᵀ·M,
 * the projection of M onto the computed leading subspace: the best approximation that subspace allows.
 * The factors are rounded once to float32 (what is written), and the error ‖M − B·A‖_F is measured
 * on those float32 factors against M, element by element.
 */
import { energyRank, frobeniusSq, mulLeftT, topSvd, type Matrix } from '../../analysis/spectral';

export interface FactorOptions {
  /** The largest rank (R). */
  maxRank: number;
  /** With an energy target q ∈ (0, 1]: the smallest r ≤ R whose σ₁²…σ_r² reach q·‖M‖²_F. */
  energy?: number;
  /** Power iterations of the randomised SVD (default 2). */
  powerIterations?: number;
  /** Extra test vectors of the randomised SVD (default 10). */
  oversample?: number;
  seed?: number;
}

export interface LowRank {
  /** The rank written (0 for a zero matrix: no factors). */
  rank: number;
  /** A, rank × cols, row-major. */
  a: Float32Array;
  /** B, rows × rank, row-major. */
  b: Float32Array;
  /** The computed leading singular values (min(R, rows, cols) of them). */
  sigma: Float64Array;
  frobeniusSq: number;
  /** Σ_{i≤rank} σᵢ² / ‖M‖²_F (1 for a zero matrix). */
  energyKept: number;
  /** ‖M − B·A‖_F of the float32 factors. */
  error: number;
  /** √(‖M‖²_F − Σ_{i≤rank} σᵢ²): the Eckart–Young error when the SVD is exact; from the randomised σ (which can only be smaller than the true ones) an upper estimate otherwise. */
  eckartYoung: number;
  /** Whether the SVD was exact (min(rows, cols) ≤ R + oversample). */
  exact: boolean;
}

/** The rank to keep from the computed spectrum: R, or the energy rank at q (capped at R), never beyond σ > 0. */
export function chooseRank(sigma: ArrayLike<number>, frobSq: number, maxRank: number, energy?: number): number {
  let positive = 0;
  while (positive < sigma.length && sigma[positive] > 0) positive++;
  let r = Math.min(maxRank, positive);
  if (energy !== undefined) r = Math.min(r, energyRank(Array.prototype.slice.call(sigma, 0, positive), frobSq, energy) ?? r);
  return r;
}

export async function factorMatrix(m: Matrix, o: FactorOptions): Promise<LowRank> {
  const { rows, cols, data } = m;
  const fro = frobeniusSq(m);
  // NaN or ±Inf entries make ‖M‖²_F non-finite (float32 inputs cannot overflow it); without this the rank came out 0.
  if (!Number.isFinite(fro)) throw new Error(`the matrix holds NaN or ±Inf values: it has no low-rank factorisation`);
  const svd = await topSvd(m, { k: o.maxRank, oversample: o.oversample ?? 10, powerIterations: o.powerIterations ?? 2, seed: o.seed ?? 0 });
  const kk = svd.sigma.length;
  const r = fro > 0 ? chooseRank(svd.sigma, fro, o.maxRank, o.energy) : 0;
  // Uᵀ·M as (Mᵀ·U)ᵀ: Mᵀ·U is cols × kk, by the spectral pass's blocked product.
  const mtu = mulLeftT(m, svd.u, kk);
  const a = new Float32Array(r * cols);
  const b = new Float32Array(rows * r);
  let kept = 0;
  for (let c = 0; c < r; c++) {
    const s = svd.sigma[c];
    kept += s * s;
    const root = Math.sqrt(s);
    for (let j = 0; j < cols; j++) a[c * cols + j] = mtu[j * kk + c] / root;
    for (let i = 0; i < rows; i++) b[i * r + c] = svd.u[i * kk + c] * root;
  }
  // The error of what is written: M − B·A with the float32 factors, one row at a time.
  let err = 0;
  const row = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const mo = i * cols;
    for (let j = 0; j < cols; j++) row[j] = data[mo + j];
    // Four terms of B·A per pass over the row (fewer loads and stores per multiply-add).
    const bo = i * r;
    let c = 0;
    for (; c + 3 < r; c += 4) {
      const b0 = b[bo + c], b1 = b[bo + c + 1], b2 = b[bo + c + 2], b3 = b[bo + c + 3];
      const a0 = c * cols, a1 = a0 + cols, a2 = a1 + cols, a3 = a2 + cols;
      for (let j = 0; j < cols; j++) row[j] -= b0 * a[a0 + j] + b1 * a[a1 + j] + b2 * a[a2 + j] + b3 * a[a3 + j];
    }
    for (; c < r; c++) {
      const bc = b[bo + c], ao = c * cols;
      for (let j = 0; j < cols; j++) row[j] -= bc * a[ao + j];
    }
    for (let j = 0; j < cols; j++) err += row[j] * row[j];
  }
  return {
    rank: r, a, b, sigma: svd.sigma, frobeniusSq: fro,
    energyKept: fro > 0 ? Math.min(1, kept / fro) : 1,
    error: Math.sqrt(err),
    eckartYoung: Math.sqrt(Math.max(0, fro - kept)),
    exact: svd.exact,
  };
}

/** Factors a matrix on any thread; the caller awaits results in order. */
export type FactorCompute = (m: Matrix, o: FactorOptions) => Promise<LowRank>;

export const factorInThread: FactorCompute = (m, o) => factorMatrix(m, o);
