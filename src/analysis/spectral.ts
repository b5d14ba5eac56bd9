/**
 * The low-rank view of a matrix (../shared/SCIENCE.md, "The low-rank view"): leading singular values,
 * stable rank, energy ranks and the subspace overlap of two matrices. Deterministic for a seed; no I/O.
 *
 * Where min(m, n) ≤ k + oversample the SVD of M itself is exact (one-sided Jacobi on M or Mᵀ, float64).
 * Otherwise the randomised SVD of ./randomized-svd.ts runs on the engine's linear-algebra backend
 * (src/compute/linalg/linalg.ts): float64 on the CPU (no engine, or the CPU engine), the WGSL GEMM
 * kernels when the engine is WebGPU.
 */
import type { Engine } from '../compute/engine';
import type { DenseMatrix } from '../compute/linalg/backend';
import { linalgFor } from '../compute/linalg/linalg';
import { columnsOf, descending, oneSidedJacobi } from './jacobi';
import { randomizedSvd, type SvdOptions, type TopSvd } from './randomized-svd';
import { gaussian, mulberry32 } from './rng';

/** A dense row-major float64 matrix. */
export type Matrix = DenseMatrix;
export type { SvdOptions, TopSvd };

export const DEFAULT_SPECTRAL_K = 32;
export const ENERGY_LEVELS = [0.9, 0.95, 0.99] as const;

/**
 * The matrix view of a tensor shape: [out, in] as is, [out, in, …] (conv kernels, stacked weights)
 * as [out, in·…]; null for scalars, 1-D tensors and empty tensors.
 */
export function matrixShape(shape: readonly number[]): [number, number] | null {
  if (shape.length < 2) return null;
  const rows = shape[0];
  const cols = shape.slice(1).reduce((a, b) => a * b, 1);
  return rows > 0 && cols > 0 ? [rows, cols] : null;
}

export { gaussian, mulberry32 };
export { mulLeftT, mulRight } from '../compute/linalg/cpu-products';

/** ‖M‖²_F, exact (compensated sum). */
export function frobeniusSq(m: Matrix): number {
  let s = 0, c = 0;
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const y = d[i] * d[i] - c;
    const t = s + y;
    c = t - s - y;
    s = t;
  }
  return s;
}

/** The leading min(k, m, n) singular values and left singular vectors of M. */
export async function topSvd(m: Matrix, opts: SvdOptions = {}, engine?: Engine): Promise<TopSvd> {
  const k = Math.max(1, Math.floor(opts.k ?? DEFAULT_SPECTRAL_K));
  const over = Math.max(0, Math.floor(opts.oversample ?? 10));
  const power = Math.max(0, Math.floor(opts.powerIterations ?? 2));
  const { rows, cols } = m;
  const l = k + over;
  if (rows === 0 || cols === 0) return { sigma: new Float64Array(0), u: new Float64Array(0), rows, exact: true };

  if (Math.min(rows, cols) <= l) {
    if (cols <= rows) {
      // Jacobi on the columns of M: M·V = W·Σ, U = W (columns normalised).
      const jac = oneSidedJacobi(columnsOf(m.data, rows, cols));
      const order = descending(jac.sigma).slice(0, Math.min(k, cols));
      const u = new Float64Array(rows * order.length);
      order.forEach((j, o) => {
        const s = jac.sigma[j];
        if (s > 0) for (let i = 0; i < rows; i++) u[i * order.length + o] = jac.cols[j][i] / s;
      });
      return { sigma: Float64Array.from(order, (j) => jac.sigma[j]), u, rows, exact: true };
    }
    // Jacobi on the columns of Mᵀ (the rows of M): Mᵀ·V = W·Σ, so M = V·Σ·Wᵀ and U = V.
    const cs: Float64Array[] = [];
    for (let i = 0; i < rows; i++) cs.push(m.data.slice(i * cols, (i + 1) * cols));
    const jac = oneSidedJacobi(cs);
    const order = descending(jac.sigma).slice(0, Math.min(k, rows));
    const u = new Float64Array(rows * order.length);
    order.forEach((j, o) => {
      for (let i = 0; i < rows; i++) u[i * order.length + o] = jac.v[i * rows + j];
    });
    return { sigma: Float64Array.from(order, (j) => jac.sigma[j]), u, rows, exact: true };
  }

  const backend = await linalgFor(m, engine);
  try {
    return await randomizedSvd(backend, { k, oversample: over, powerIterations: power, seed: opts.seed, signal: opts.signal });
  } finally {
    backend.dispose();
  }
}

/**
 * The energy rank at q: the smallest r with Σ_{i≤r} σᵢ² ≥ q·‖M‖²_F, from the computed (leading)
 * singular values; null when the computed spectrum does not reach q (the rank is beyond it, "> k").
 * A zero matrix has energy rank 0.
 */
export function energyRank(sigma: ArrayLike<number>, frobSq: number, q: number): number | null {
  if (!(frobSq > 0)) return 0;
  const target = q * frobSq;
  let s = 0;
  for (let i = 0; i < sigma.length; i++) {
    s += sigma[i] * sigma[i];
    if (s >= target) return i + 1;
  }
  return null;
}

/** ‖M‖²_F / σ₁²; null for a zero matrix. */
export function stableRank(frobSq: number, sigma1: number): number | null {
  return sigma1 > 0 ? frobSq / (sigma1 * sigma1) : null;
}

/** The singular values above 1e-10·σ₁ (float64 SVDs leave ~1e-16·σ₁ where the matrix has no direction). */
function numericalRank(sigma: Float64Array): number {
  let r = 0;
  while (r < sigma.length && sigma[r] > 1e-10 * sigma[0]) r++;
  return r;
}

/**
 * ‖U₁ᵀU₂‖²_F / k ∈ [0, 1] of two matrices' leading left singular vectors (both with `rows` rows),
 * over the first k = min(k, columns of each) columns.
 */
export function subspaceOverlap(a: TopSvd, b: TopSvd, k: number = DEFAULT_SPECTRAL_K): number | null {
  if (a.rows !== b.rows) throw new Error(`subspace overlap of matrices with ${a.rows} and ${b.rows} rows`);
  const ka = a.sigma.length, kb = b.sigma.length;
  // Only directions the matrix has count: past its rank (a LoRA update's γ has rank ≤ 2r, often < k) the
  // "singular vectors" are zero columns here and an arbitrary completion in a full SVD, so dividing by k
  // would dilute a perfect alignment to rank/k. A zero matrix has none: no overlap, not 0 (orthogonal).
  const kk = Math.min(k, numericalRank(a.sigma), numericalRank(b.sigma));
  if (kk === 0) return null;
  let s = 0;
  for (let p = 0; p < kk; p++) {
    for (let q = 0; q < kk; q++) {
      let d = 0;
      for (let i = 0; i < a.rows; i++) d += a.u[i * ka + p] * b.u[i * kb + q];
      s += d * d;
    }
  }
  return s / kk;
}

export interface SpectralSummary {
  rows: number;
  cols: number;
  /** Leading singular values, descending (min(k, m, n) of them). */
  sigma: number[];
  sigma1: number;
  frobeniusSq: number;
  stableRank: number | null;
  energyRank90: number | null;
  energyRank95: number | null;
  energyRank99: number | null;
  exact: boolean;
}

/** The spectral summary of one matrix and its SVD (kept for overlaps). */
export async function spectralSummary(m: Matrix, opts: SvdOptions = {}, engine?: Engine): Promise<{ summary: SpectralSummary; svd: TopSvd }> {
  const svd = await topSvd(m, opts, engine);
  const f = frobeniusSq(m);
  const sigma = Array.from(svd.sigma);
  const sigma1 = sigma.length ? sigma[0] : 0;
  const [r90, r95, r99] = ENERGY_LEVELS.map((q) => energyRank(sigma, f, q));
  return {
    summary: { rows: m.rows, cols: m.cols, sigma, sigma1, frobeniusSq: f, stableRank: stableRank(f, sigma1), energyRank90: r90, energyRank95: r95, energyRank99: r99, exact: svd.exact },
    svd,
  };
}
