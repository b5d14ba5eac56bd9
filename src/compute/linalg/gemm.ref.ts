/**
 * The float64 reference of gemm.wgsl.ts for tests: C = op(A)·X by the textbook triple loop, with A
 * decoded exactly from its packed words. Kept apart from the CPU backend (./cpu-linalg.ts) so the
 * parity tests hold the kernel against code that shares nothing with either side.
 */
import { decodeToF32, type ComputeDType } from '../../formats/dtype';

export interface GemmRefResult {
  /** op(A)·X, I × J row-major. */
  c: Float64Array;
  /** Σ_k |op(A)_ik · X_kj|: the scale of each element's rounding. */
  abs: Float64Array;
}

/** A (rows × cols, packed `dtype`), X (K × J float64) with K = cols (or rows when transposed). */
export function gemmRef(dtype: ComputeDType, a: Uint8Array, rows: number, cols: number, transposeA: boolean, x: Float64Array, j: number): GemmRefResult {
  const av = decodeToF32(dtype, a);
  const [I, K] = transposeA ? [cols, rows] : [rows, cols];
  const c = new Float64Array(I * j);
  const abs = new Float64Array(I * j);
  for (let i = 0; i < I; i++) {
    for (let q = 0; q < j; q++) {
      let s = 0, t = 0;
      for (let k = 0; k < K; k++) {
        const p = (transposeA ? av[k * cols + i] : av[i * cols + k]) * x[k * j + q];
        s += p;
        t += Math.abs(p);
      }
      c[i * j + q] = s;
      abs[i * j + q] = t;
    }
  }
  return { c, abs };
}
