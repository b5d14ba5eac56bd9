/**
 * The float64 reference of gemm.wgsl.ts for tests: C = op(A)·X by the textbook triple loop, with A
 * decoded exactly from its packed words. Kept apart from the CPU backend (./cpu-linalg.ts) so the
 * parity tests hold the kernel against code that shares nothing with either side. Also the checks of
 * an orthonormalised panel (orthoReport), in float64.
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

/**
 * Q (r×l) orthonormalised from Y (r×l): ‖QᵀQ − I‖_max over the non-zero columns, how many columns
 * are non-zero, and the relative reconstruction error ‖Y − Q·QᵀY‖_F / ‖Y‖_F.
 */
export function orthoReport(q: Float64Array, y: Float64Array, r: number, l: number) {
  let ortho = 0, live = 0;
  const alive = Array.from({ length: l }, (_, c) => { let s = 0; for (let i = 0; i < r; i++) s += q[i * l + c] ** 2; return s > 0; });
  for (let a = 0; a < l; a++) {
    if (alive[a]) live++;
    for (let b = 0; b < l; b++) {
      if (!alive[a] || !alive[b]) continue;
      let d = 0;
      for (let i = 0; i < r; i++) d += q[i * l + a] * q[i * l + b];
      ortho = Math.max(ortho, Math.abs(d - (a === b ? 1 : 0)));
    }
  }
  let num = 0, den = 0;
  for (let c = 0; c < l; c++) {
    const coef = new Float64Array(l);
    for (let a = 0; a < l; a++) for (let i = 0; i < r; i++) coef[a] += q[i * l + a] * y[i * l + c];
    for (let i = 0; i < r; i++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += q[i * l + a] * coef[a];
      num += (y[i * l + c] - s) ** 2;
      den += y[i * l + c] ** 2;
    }
  }
  return { ortho, live, recon: Math.sqrt(num / den) };
}
