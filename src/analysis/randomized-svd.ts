/**
 * The randomised SVD (Halko, Martinsson, Tropp; ../shared/SCIENCE.md, "The low-rank view") written
 * once over a linear-algebra backend (src/compute/linalg/): the float64 CPU twin and the WebGPU
 * kernels run this same sequence of steps, so they differ only by the rounding of their products.
 *
 * M (m×n), l = k + oversample: Ω Gaussian n×l from a seeded PRNG; Q = orth(M·Ω); `powerIterations`
 * times Z = orth(Mᵀ·Q), Q = orth(M·Z); then Bᵀ = Mᵀ·Q (n×l) comes back to the CPU, where one-sided
 * Jacobi on its columns gives Bᵀ·V = W·Σ, so B = QᵀM = V·Σ·Wᵀ and M ≈ (Q·V)·Σ·Wᵀ.
 *
 * orth is SVQB (Stathopoulos & Wu) applied twice: G = PᵀP on the backend, G = V·Λ·Vᵀ on the CPU in
 * float64, P ← P·V·Λ^-½. It is a QR up to the l × l factor (same column space, orthonormal columns),
 * needs only products that a GPU does well and one tiny readback per pass, and unlike CholeskyQR it
 * survives a rank-deficient panel: a direction whose singular value is below `dropRatio` of the
 * largest is rounding noise and becomes a zero column (so an exactly low-rank M gives exact zeros).
 */
import type { LinalgBackend, Panel } from '../compute/linalg/backend';
import { columnsOf, descending, oneSidedJacobi } from './jacobi';
import { gaussian } from './rng';

export interface SvdOptions {
  /** Leading singular triplets wanted (default 32). */
  k?: number;
  /** Extra test vectors (default 10). */
  oversample?: number;
  /** Power iterations (default 2). */
  powerIterations?: number;
  /** PRNG seed of the Gaussian test matrix (default 0). */
  seed?: number;
  /** Checked between the products: an abort stops the SVD there (it throws the signal's reason). */
  signal?: AbortSignal;
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

/**
 * The SVQB factor T (l×l) of a Gram matrix G = PᵀP: P·T has orthonormal columns spanning P's column
 * space, in descending order of P's singular values; directions below dropRatio·σ_max are zero columns.
 */
export function svqbFactor(g: Float64Array, l: number, dropRatio: number): Float64Array {
  // G is symmetric positive semidefinite, so its SVD (one-sided Jacobi on its columns) is its eigendecomposition.
  const jac = oneSidedJacobi(columnsOf(g, l, l));
  const order = descending(jac.sigma);
  const top = jac.sigma[order[0]] ?? 0;
  const t = new Float64Array(l * l);
  order.forEach((j, o) => {
    const lambda = jac.sigma[j];
    if (!(top > 0) || !(lambda > dropRatio * dropRatio * top)) return;
    const s = 1 / Math.sqrt(lambda);
    for (let i = 0; i < l; i++) t[i * l + o] = jac.v[i * l + j] * s;
  });
  return t;
}

/** Orthonormalises a panel (SVQB twice: the second pass removes the first one's loss of orthogonality). */
export async function orthonormalise<P extends Panel>(b: LinalgBackend<P>, p: P): Promise<P> {
  for (let pass = 0; pass < 2; pass++) {
    const t = svqbFactor(await b.gram(p), p.cols, b.dropRatio);
    const q = await b.times(p, t, p.cols);
    b.release(p);
    p = q;
  }
  return p;
}

/** The leading min(k, m, n) singular values and left singular vectors of the backend's M (min(m, n) > k + oversample). */
export async function randomizedSvd<P extends Panel>(b: LinalgBackend<P>, opts: SvdOptions = {}): Promise<TopSvd> {
  const k = Math.max(1, Math.floor(opts.k ?? 32));
  const l = k + Math.max(0, Math.floor(opts.oversample ?? 10));
  const power = Math.max(0, Math.floor(opts.powerIterations ?? 2));
  const { rows, cols } = b;
  if (Math.min(rows, cols) <= l) throw new Error(`randomised SVD of a ${rows}×${cols} matrix with ${l} test vectors: use the exact SVD`);
  const step = async (x: P, f: (x: P) => Promise<P>): Promise<P> => {
    opts.signal?.throwIfAborted();
    const y = await f(x);
    b.release(x);
    return orthonormalise(b, y);
  };
  let q = await step(await b.panel(gaussian(opts.seed ?? 0, cols * l), cols, l), (x) => b.mul(x));
  for (let it = 0; it < power; it++) {
    const z = await step(q, (x) => b.mulT(x));
    q = await step(z, (x) => b.mul(x));
  }
  const btPanel = await b.mulT(q);
  const bt = await b.read(btPanel);
  b.release(btPanel);
  const qh = await b.read(q);
  b.release(q);
  // Bᵀ = Mᵀ·Q (n×l); Jacobi on its columns: Bᵀ·V = W·Σ, so B = V·Σ·Wᵀ and M ≈ (Q·V)·Σ·Wᵀ.
  const jac = oneSidedJacobi(columnsOf(bt, cols, l));
  const order = descending(jac.sigma).slice(0, k);
  const kk = order.length;
  const u = new Float64Array(rows * kk);
  for (let i = 0; i < rows; i++) {
    for (let o = 0; o < kk; o++) {
      const j = order[o];
      let s = 0;
      for (let c = 0; c < l; c++) s += qh[i * l + c] * jac.v[c * l + j];
      u[i * kk + o] = s;
    }
  }
  return { sigma: Float64Array.from(order, (j) => jac.sigma[j]), u, rows, exact: false };
}
