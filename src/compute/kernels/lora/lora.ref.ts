/**
 * Reference of the lora kernel: a combine (combine.ref.ts) plus low-rank products formed on the fly,
 * so a role given as a PEFT LoRA adapter (θ_pre + s·B·A) merges like any checkpoint without ΔW ever
 * existing as a whole tensor: each call computes the elements [first, first + n) of one output tensor
 * seen as a [rows, cols] matrix, from the dense inputs' chunks and the whole factors.
 *
 *   out = R( (base === null ? 0 : x[base]) + scale · ( Σ_j w_j · (x[a_j] − x[b_j]) + Σ_l v_l · p_l ) )
 *
 * For the element e = first + i at (row, col) = (⌊e / cols⌋, e mod cols), factor pair l of rank r with
 * A = inputs[a_l], B = inputs[b_l]:
 *   p_l = Σ_k B[row, k] · A[k, col]       A [r, cols], B [rows, r]      (PEFT's B·A)
 *   p_l = Σ_k B[col, k] · A[k, row]       A [r, rows], B [cols, r]      (transpose: (B·A)ᵀ, for
 *                                          fan_in_fan_out and embeddings)
 * Evaluated in float64 in this order: the combine's acc (no terms: 0), then for each l in order
 * p = B_0·A_0, p = p + B_k·A_k for k = 1 … r − 1, acc = (no terms and l = 0) ? v_l · p : acc + v_l · p,
 * then v = base === null ? scale · acc : x[base] + scale · acc, rounded once (common/f64.ref.ts).
 * The inputs are the `dense` elementwise chunks first (all of n elements), then the factors.
 */
import type { ComputeDType } from '../../../formats/dtype';
import type { CombineSpec } from '../combine/combine.ref';
import { combineRef } from '../combine/combine.ref';

export interface LoraFactor {
  /** Input index of A and of B (both after the dense inputs). */
  a: number;
  b: number;
  rank: number;
  /** The product's weight (PEFT's scale times the method's weight of the role). */
  w: number;
  transpose: boolean;
}

export interface LoraSpec extends CombineSpec {
  /** How many leading inputs are elementwise chunks; the rest are whole factors. */
  dense: number;
  factors: LoraFactor[];
  /** The output tensor as a matrix. */
  rows: number;
  cols: number;
  /** Tensor index of the call's first element. */
  first: number;
  outDtype: ComputeDType;
}

/** p_l of element e (row, col) in float64, k ascending. */
export function loraProduct(A: Float64Array, B: Float64Array, f: LoraFactor, rows: number, cols: number, row: number, col: number): number {
  const r = f.rank;
  let p = 0;
  for (let k = 0; k < r; k++) {
    const t = f.transpose ? B[col * r + k] * A[k * rows + row] : B[row * r + k] * A[k * cols + col];
    p = k === 0 ? t : p + t;
  }
  return p;
}

/** Writes the float64 values v (before rounding) into `out` (length n); x: dense inputs then factors, decoded. */
export function loraRef(x: Float64Array[], spec: LoraSpec, out: Float64Array): void {
  const n = out.length;
  const acc = new Float64Array(n);
  combineRef(x, { base: null, terms: spec.terms, scale: 1, outDtype: spec.outDtype }, acc);
  const none = spec.terms.length === 0;
  for (let i = 0; i < n; i++) {
    const e = spec.first + i;
    const row = Math.floor(e / spec.cols);
    const col = e - row * spec.cols;
    let s = acc[i];
    spec.factors.forEach((f, l) => {
      const p = loraProduct(x[f.a], x[f.b], f, spec.rows, spec.cols, row, col);
      s = none && l === 0 ? f.w * p : s + f.w * p;
    });
    out[i] = spec.base === null ? spec.scale * s : x[spec.base][i] + spec.scale * s;
  }
}

/** Checks both engines share: factor indices after the dense inputs, their sizes fitting the tensor and rank. */
export function checkLoraSpec(spec: LoraSpec, sizes: number[], n: number): void {
  const { dense, rows, cols, first } = spec;
  if (!Number.isInteger(dense) || dense < 1 || dense > sizes.length) throw new Error(`lora: ${dense} dense inputs of ${sizes.length}; give at least one`);
  if (!(rows > 0 && cols > 0 && Number.isSafeInteger(rows * cols))) throw new Error(`lora: the tensor is [${rows}, ${cols}]`);
  if (!Number.isSafeInteger(first) || first < 0 || first + n > rows * cols) throw new Error(`lora: elements ${first}…${first + n} are outside the [${rows}, ${cols}] tensor`);
  spec.factors.forEach((f, l) => {
    for (const [what, k] of [['A', f.a], ['B', f.b]] as const) {
      if (!Number.isInteger(k) || k < dense || k >= sizes.length) throw new Error(`lora: factor ${l}'s ${what} refers to input ${k}, not a factor input`);
    }
    if (!Number.isInteger(f.rank) || f.rank < 1) throw new Error(`lora: factor ${l} has rank ${f.rank}`);
    const [inA, outB] = f.transpose ? [rows, cols] : [cols, rows];
    if (sizes[f.a] !== f.rank * inA) throw new Error(`lora: factor ${l}'s A has ${sizes[f.a]} elements, not ${f.rank}·${inA}`);
    if (sizes[f.b] !== outB * f.rank) throw new Error(`lora: factor ${l}'s B has ${sizes[f.b]} elements, not ${outB}·${f.rank}`);
  });
}
