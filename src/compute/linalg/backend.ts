/**
 * The dense linear algebra the randomised SVD needs (src/analysis/randomized-svd.ts), behind one
 * interface so the same algorithm runs step by step on the CPU (float64, ./cpu-linalg.ts) and on
 * WebGPU (float32 panels with exact products and compensated sums, ./webgpu-linalg.ts).
 *
 * Why not the op table of ../ops.ts: its ops are chunk-wise (every input one chunk of a tensor, the
 * executor free to split it anywhere), while a matrix product needs the whole matrix M against a
 * whole panel, and M stays resident across the 2q + 2 products of one SVD. So these live here with the
 * same shape as an op (the WGSL program in gemm.wgsl.ts, its float64 reference in gemm.ref.ts, and the
 * registration in linalg.ts, which picks the backend for an engine).
 *
 * A backend holds one matrix M (rows × cols). A panel is a tall matrix (r × l, row-major, l small:
 * k + oversampling) living where the backend computes; small l × l matrices travel as float64.
 */

/** A dense row-major float64 matrix. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A panel r × l held by a backend (its storage is the backend's own). */
export interface Panel {
  readonly rows: number;
  readonly cols: number;
}

export interface LinalgBackend<P extends Panel = Panel> {
  /** Rows and columns of the backend's matrix M. */
  readonly rows: number;
  readonly cols: number;
  /**
   * Relative singular value below which the orthonormalisation drops a direction of a panel as
   * rounding noise (about the square root of the Gram matrix's relative error, times a margin).
   */
  readonly dropRatio: number;
  /** A panel from float64 values (r × l, row-major). */
  panel(data: Float64Array, r: number, l: number): Promise<P>;
  /** M · X (X cols × l) → rows × l. */
  mul(x: P): Promise<P>;
  /** Mᵀ · X (X rows × l) → cols × l. */
  mulT(x: P): Promise<P>;
  /** PᵀP (l × l, row-major float64). */
  gram(p: P): Promise<Float64Array>;
  /** P · T for a small T (l × t, row-major float64) → r × t. */
  times(p: P, t: Float64Array, tCols: number): Promise<P>;
  /** The panel's values as float64 (r × l, row-major). */
  read(p: P): Promise<Float64Array>;
  /** Frees a panel (the backend may reuse its storage). */
  release(p: P): void;
  dispose(): void;
}
