/**
 * The low-rank view of a matrix (../shared/SCIENCE.md, "The low-rank view"), float64 on the CPU:
 * leading singular values by randomised SVD (Halko, Martinsson, Tropp), stable rank, energy ranks and
 * the subspace overlap of two matrices. Pure and deterministic for a seed; no engine, no I/O.
 *
 * Randomised SVD of M (m×n), l = k + oversample: Ω Gaussian n×l from a seeded PRNG; Y = M·Ω,
 * Q = qr(Y); `powerIterations` times Z = qr(Mᵀ·Q), Q = qr(M·Z) (re-orthonormalised every step);
 * then the exact SVD of the small B = QᵀM: Bᵀ (n×l) = Q_b·R, one-sided Jacobi on R (l×l): R·V = W·Σ,
 * so B = V·Σ·(Q_b·W)ᵀ and M ≈ (Q·V)·Σ·(Q_b·W)ᵀ. Where min(m, n) ≤ l the SVD of M itself is exact (one-sided Jacobi on M or Mᵀ).
 * QR is classical Gram–Schmidt applied twice per column (CGS2, "twice is enough").
 */
import { mulberry32 } from './rng';

/** A dense row-major float64 matrix. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface SvdOptions {
  /** Leading singular triplets wanted (default 32). */
  k?: number;
  /** Extra test vectors (default 10). */
  oversample?: number;
  /** Power iterations (default 2). */
  powerIterations?: number;
  /** PRNG seed of the Gaussian test matrix (default 0). */
  seed?: number;
}

export interface TopSvd {
  /** min(k, m, n) singular values, descending. */
  sigma: Float64Array;
  /** Left singular vectors, m × sigma.length, row-major (column j belongs to sigma[j]). */
  u: Float64Array;
  rows: number;
  /** True when the SVD was exact (min(m, n) ≤ k + oversample). */
  exact: boolean;
}

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

export { mulberry32 };

/** Standard normal samples (Box–Muller) from a seeded PRNG. */
export function gaussian(seed: number, count: number): Float64Array {
  const u = mulberry32(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < count) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

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

/*
 * The two products of the randomised SVD dominate its cost (2q + 2 of them over the whole matrix). Both
 * are register-blocked so that each load of an output row serves several multiply-adds: mulRight takes
 * 2 rows of M × 4 of its columns at a time, mulLeftT 4 rows × 2 columns (measured on a 2048 × 5632
 * matrix, l = 42: 4–6× faster than one multiply-add per load and store). Summation order differs from
 * the plain loops only in rounding (~1e-16 relative).
 */

/** C (m×l) = M (m×n) · X (n×l), all row-major. */
export function mulRight(m: Matrix, x: Float64Array, l: number): Float64Array {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * l);
  const j4 = cols - (cols % 4);
  let i = 0;
  for (; i + 1 < rows; i += 2) {
    const o0 = i * l, o1 = o0 + l, m0 = i * cols, m1 = m0 + cols;
    for (let j = 0; j < j4; j += 4) {
      const a0 = data[m0 + j], a1 = data[m0 + j + 1], a2 = data[m0 + j + 2], a3 = data[m0 + j + 3];
      const b0 = data[m1 + j], b1 = data[m1 + j + 1], b2 = data[m1 + j + 2], b3 = data[m1 + j + 3];
      const x0 = j * l, x1 = x0 + l, x2 = x1 + l, x3 = x2 + l;
      for (let c = 0; c < l; c++) {
        const p = x[x0 + c], q = x[x1 + c], r = x[x2 + c], s = x[x3 + c];
        out[o0 + c] += a0 * p + a1 * q + a2 * r + a3 * s;
        out[o1 + c] += b0 * p + b1 * q + b2 * r + b3 * s;
      }
    }
    for (let j = j4; j < cols; j++) {
      const a = data[m0 + j], b = data[m1 + j], xo = j * l;
      for (let c = 0; c < l; c++) {
        out[o0 + c] += a * x[xo + c];
        out[o1 + c] += b * x[xo + c];
      }
    }
  }
  for (; i < rows; i++) {
    const o = i * l;
    for (let j = 0; j < cols; j++) {
      const a = data[i * cols + j], xo = j * l;
      for (let c = 0; c < l; c++) out[o + c] += a * x[xo + c];
    }
  }
  return out;
}

/** C (n×l) = Mᵀ (n×m) · X (m×l), all row-major. */
export function mulLeftT(m: Matrix, x: Float64Array, l: number): Float64Array {
  const { rows, cols, data } = m;
  const out = new Float64Array(cols * l);
  const i4 = rows - (rows % 4);
  for (let i = 0; i < i4; i += 4) {
    const x0 = i * l, x1 = x0 + l, x2 = x1 + l, x3 = x2 + l;
    const m0 = i * cols, m1 = m0 + cols, m2 = m1 + cols, m3 = m2 + cols;
    let j = 0;
    for (; j + 1 < cols; j += 2) {
      const a0 = data[m0 + j], a1 = data[m1 + j], a2 = data[m2 + j], a3 = data[m3 + j];
      const b0 = data[m0 + j + 1], b1 = data[m1 + j + 1], b2 = data[m2 + j + 1], b3 = data[m3 + j + 1];
      const o0 = j * l, o1 = o0 + l;
      for (let c = 0; c < l; c++) {
        const p = x[x0 + c], q = x[x1 + c], r = x[x2 + c], s = x[x3 + c];
        out[o0 + c] += a0 * p + a1 * q + a2 * r + a3 * s;
        out[o1 + c] += b0 * p + b1 * q + b2 * r + b3 * s;
      }
    }
    if (j < cols) {
      const a0 = data[m0 + j], a1 = data[m1 + j], a2 = data[m2 + j], a3 = data[m3 + j];
      const o = j * l;
      for (let c = 0; c < l; c++) out[o + c] += a0 * x[x0 + c] + a1 * x[x1 + c] + a2 * x[x2 + c] + a3 * x[x3 + c];
    }
  }
  for (let i = i4; i < rows; i++) {
    const xo = i * l;
    for (let j = 0; j < cols; j++) {
      const a = data[i * cols + j], o = j * l;
      for (let c = 0; c < l; c++) out[o + c] += a * x[xo + c];
    }
  }
  return out;
}

/**
 * Orthonormalises the columns of A (r×l, row-major) in place by classical Gram–Schmidt applied twice
 * per column (CGS2: "twice is enough", as stable as modified Gram–Schmidt twice), each round one pass
 * along the rows so that memory is read in order. A column that vanishes against the earlier ones
 * (rank deficiency) becomes zero. Returns R (l×l, row-major, upper triangular) with A_before = Q·R.
 */
export function orthonormalise(a: Float64Array, r: number, l: number): Float64Array {
  const norms0 = new Float64Array(l);
  for (let i = 0; i < r; i++) {
    const o = i * l;
    for (let c = 0; c < l; c++) norms0[c] += a[o + c] * a[o + c];
  }
  const R = new Float64Array(l * l);
  const d = new Float64Array(l);
  for (let c = 0; c < l; c++) {
    for (let round = 0; round < 2 && c > 0; round++) {
      d.fill(0, 0, c);
      for (let i = 0; i < r; i++) {
        const o = i * l, x = a[o + c];
        if (x === 0) continue;
        for (let p = 0; p < c; p++) d[p] += a[o + p] * x;
      }
      for (let i = 0; i < r; i++) {
        const o = i * l;
        let x = a[o + c];
        for (let p = 0; p < c; p++) x -= d[p] * a[o + p];
        a[o + c] = x;
      }
      for (let p = 0; p < c; p++) R[p * l + c] += d[p];
    }
    let s = 0;
    for (let i = 0; i < r; i++) s += a[i * l + c] ** 2;
    const nrm = Math.sqrt(s);
    if (!(nrm > 1e-13 * Math.sqrt(norms0[c])) || nrm === 0) {
      for (let i = 0; i < r; i++) a[i * l + c] = 0;
    } else {
      for (let i = 0; i < r; i++) a[i * l + c] /= nrm;
      R[c * l + c] = nrm;
    }
  }
  return R;
}

interface Jacobi {
  /** Column norms after convergence (the singular values), unsorted. */
  sigma: Float64Array;
  /** The accumulated rotations V (c×c, row-major). */
  v: Float64Array;
  /** The rotated columns A·V = W·Σ, column by column. */
  cols: Float64Array[];
}

/**
 * One-sided Jacobi (Hestenes) on the columns of A given as c columns of length r: rotates pairs of
 * columns until all are mutually orthogonal. Then A·V = W·Σ with Σ the column norms.
 */
function oneSidedJacobi(cols: Float64Array[]): Jacobi {
  const c = cols.length;
  const r = c ? cols[0].length : 0;
  const v = new Float64Array(c * c);
  for (let i = 0; i < c; i++) v[i * c + i] = 1;
  const eps = 1e-15;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < c - 1; p++) {
      for (let q = p + 1; q < c; q++) {
        const x = cols[p], y = cols[q];
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < r; i++) {
          alpha += x[i] * x[i];
          beta += y[i] * y[i];
          gamma += x[i] * y[i];
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        for (let i = 0; i < r; i++) {
          const xi = x[i], yi = y[i];
          x[i] = cs * xi - sn * yi;
          y[i] = sn * xi + cs * yi;
        }
        for (let i = 0; i < c; i++) {
          const vp = v[i * c + p], vq = v[i * c + q];
          v[i * c + p] = cs * vp - sn * vq;
          v[i * c + q] = sn * vp + cs * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let s = 0;
    for (let i = 0; i < r; i++) s += cols[j][i] ** 2;
    sigma[j] = Math.sqrt(s);
  }
  return { sigma, v, cols };
}

/** Indices of sigma in descending order (ties by index, so deterministic). */
function descending(sigma: Float64Array): number[] {
  return Array.from(sigma.keys()).sort((a, b) => sigma[b] - sigma[a] || a - b);
}

/** The leading min(k, m, n) singular values and left singular vectors of M. */
export function topSvd(m: Matrix, opts: SvdOptions = {}): TopSvd {
  const k = Math.max(1, Math.floor(opts.k ?? DEFAULT_SPECTRAL_K));
  const over = Math.max(0, Math.floor(opts.oversample ?? 10));
  const power = Math.max(0, Math.floor(opts.powerIterations ?? 2));
  const { rows, cols } = m;
  const l = k + over;
  if (rows === 0 || cols === 0) return { sigma: new Float64Array(0), u: new Float64Array(0), rows, exact: true };

  if (Math.min(rows, cols) <= l) {
    if (cols <= rows) {
      // Jacobi on the columns of M: M·V = W·Σ, U = W (columns normalised).
      const cs: Float64Array[] = [];
      for (let j = 0; j < cols; j++) {
        const col = new Float64Array(rows);
        for (let i = 0; i < rows; i++) col[i] = m.data[i * cols + j];
        cs.push(col);
      }
      const jac = oneSidedJacobi(cs);
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

  const omega = gaussian(opts.seed ?? 0, cols * l);
  let q = mulRight(m, omega, l);
  orthonormalise(q, rows, l);
  for (let it = 0; it < power; it++) {
    const z = mulLeftT(m, q, l);
    orthonormalise(z, cols, l);
    q = mulRight(m, z, l);
    orthonormalise(q, rows, l);
  }
  // Bᵀ = Mᵀ·Q (n×l) = Q_b·R; the singular values and right vectors of Bᵀ are those of the small R (l×l),
  // so Jacobi runs on R's columns: R·V = W·Σ, hence B = V·Σ·(Q_b·W)ᵀ and M ≈ (Q·V)·Σ·(Q_b·W)ᵀ.
  const bt = mulLeftT(m, q, l);
  const rb = orthonormalise(bt, cols, l);
  const cs: Float64Array[] = [];
  for (let c = 0; c < l; c++) cs.push(Float64Array.from({ length: l }, (_, i) => rb[i * l + c]));
  const jac = oneSidedJacobi(cs);
  const order = descending(jac.sigma).slice(0, k);
  const kk = order.length;
  const u = new Float64Array(rows * kk);
  for (let i = 0; i < rows; i++) {
    for (let o = 0; o < kk; o++) {
      const j = order[o];
      let s = 0;
      for (let c = 0; c < l; c++) s += q[i * l + c] * jac.v[c * l + j];
      u[i * kk + o] = s;
    }
  }
  return { sigma: Float64Array.from(order, (j) => jac.sigma[j]), u, rows, exact: false };
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

/**
 * ‖U₁ᵀU₂‖²_F / k ∈ [0, 1] of two matrices' leading left singular vectors (both with `rows` rows),
 * over the first k = min(k, columns of each) columns.
 */
export function subspaceOverlap(a: TopSvd, b: TopSvd, k: number = DEFAULT_SPECTRAL_K): number | null {
  if (a.rows !== b.rows) throw new Error(`subspace overlap of matrices with ${a.rows} and ${b.rows} rows`);
  const ka = a.sigma.length, kb = b.sigma.length;
  const kk = Math.min(k, ka, kb);
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
export function spectralSummary(m: Matrix, opts: SvdOptions = {}): { summary: SpectralSummary; svd: TopSvd } {
  const svd = topSvd(m, opts);
  const f = frobeniusSq(m);
  const sigma = Array.from(svd.sigma);
  const sigma1 = sigma.length ? sigma[0] : 0;
  const [r90, r95, r99] = ENERGY_LEVELS.map((q) => energyRank(sigma, f, q));
  return {
    summary: { rows: m.rows, cols: m.cols, sigma, sigma1, frobeniusSq: f, stableRank: stableRank(f, sigma1), energyRank90: r90, energyRank95: r95, energyRank99: r99, exact: svd.exact },
    svd,
  };
}
