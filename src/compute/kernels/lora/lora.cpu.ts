/**
 * The CPU engine's lora: lora.ref.ts's float64 formula in the same order, fast. Factors are decoded once
 * per call; each block of output elements is walked row segment by row segment with k outermost, so the
 * products of a segment run over contiguous rows of A (B transposed once for the (B·A)ᵀ layout) while
 * every element still adds its r products in ascending k, as the reference does: the same bits.
 * The same loops run in WebAssembly SIMD first (../../wasm/lora.ts); these are the fallback.
 */
import type { ChunkInput } from '../common/inputs';
import { decodeF64 } from '../common/f64.ref';
import { ELEMENT_BYTES } from '../common/inputs';
import { BLOCK } from '../../fused/block';
import { pack, perBlock } from '../../fused/packed';
import type { LoraSpec } from './lora.ref';
import { loraWasm, type DecodedFactor } from '../../wasm/lora';

/** Bk: [r, cols-of-the-product] so a k-row is contiguous. */
type Factor = DecodedFactor;

function decodeWhole(inp: ChunkInput): Float64Array {
  return decodeF64(inp.dtype, inp.bytes, new Float64Array(inp.bytes.byteLength / ELEMENT_BYTES[inp.dtype]));
}

function factorsOf(inputs: ChunkInput[], spec: LoraSpec): Factor[] {
  return spec.factors.map((f) => {
    const A = decodeWhole(inputs[f.a]);
    const B = decodeWhole(inputs[f.b]);
    if (!f.transpose) return { A, Bk: B, r: f.rank, w: f.w, transpose: false };
    // (B·A)ᵀ at (row, col) = Σ_k B[col, k]·A[k, row]: B's column k as a contiguous row over col.
    const cols = B.length / f.rank;
    const Bk = new Float64Array(B.length);
    for (let c = 0; c < cols; c++) for (let k = 0; k < f.rank; k++) Bk[k * cols + c] = B[c * f.rank + k];
    return { A, Bk, r: f.rank, w: f.w, transpose: true };
  });
}

const P = new Float64Array(BLOCK);

/**
 * p for elements [c0, c1) of one row into P[o …]: Σ_k in ascending order, as loraProduct. Each element's
 * row of the product is a coefficient c_k (B's) times a contiguous run v_k (A's); four k at a time keep
 * the partial sum in a register, still added in ascending k: the same bits as one k at a time.
 */
function rowProducts(f: Factor, rows: number, cols: number, row: number, c0: number, c1: number, o: number): void {
  const { A, Bk, r } = f;
  const m = c1 - c0;
  // Product k at element j is coef(k)·V[at(k) + j] (multiplication commutes exactly).
  const coef = (k: number) => (f.transpose ? A[k * rows + row] : Bk[row * r + k]);
  const V = f.transpose ? Bk : A;
  const at = (k: number) => k * cols + c0;
  const c = coef(0), v = at(0);
  for (let j = 0; j < m; j++) P[o + j] = c * V[v + j];
  let k = 1;
  for (; k + 3 < r; k += 4) {
    const c1_ = coef(k), c2 = coef(k + 1), c3 = coef(k + 2), c4 = coef(k + 3);
    const v1 = at(k), v2 = at(k + 1), v3 = at(k + 2), v4 = at(k + 3);
    for (let j = 0; j < m; j++) {
      let p = P[o + j];
      p = p + c1_ * V[v1 + j];
      p = p + c2 * V[v2 + j];
      p = p + c3 * V[v3 + j];
      P[o + j] = p + c4 * V[v4 + j];
    }
  }
  for (; k < r; k++) {
    const ck = coef(k), vk = at(k);
    for (let j = 0; j < m; j++) P[o + j] = P[o + j] + ck * V[vk + j];
  }
}

export function loraCpu(inputs: ChunkInput[], spec: LoraSpec, n: number): Uint8Array {
  const dense = inputs.slice(0, spec.dense).map((x) => pack(x, n));
  const factors = factorsOf(inputs, spec);
  const fast = loraWasm(dense, factors, spec, n);
  if (fast) return fast;
  const { terms, base, scale, rows, cols } = spec;
  const none = terms.length === 0;
  return perBlock(dense, n, spec.outDtype, (x, st, m, out) => {
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < terms.length; j++) {
        const t = terms[j];
        const d = t.b === null ? x[t.a][i] : x[t.a][i] - x[t.b][i];
        acc = j === 0 ? t.w * d : acc + t.w * d;
      }
      out[i] = acc;
    }
    factors.forEach((f, l) => {
      for (let i = 0; i < m;) {
        const e = spec.first + st + i;
        const row = Math.floor(e / cols);
        const c0 = e - row * cols;
        const c1 = Math.min(cols, c0 + (m - i));
        rowProducts(f, rows, cols, row, c0, c1, i);
        i += c1 - c0;
      }
      const w = f.w;
      if (none && l === 0) for (let i = 0; i < m; i++) out[i] = w * P[i];
      else for (let i = 0; i < m; i++) out[i] = out[i] + w * P[i];
    });
    if (base === null) for (let i = 0; i < m; i++) out[i] = scale * out[i];
    else {
      const xb = x[base];
      for (let i = 0; i < m; i++) out[i] = xb[i] + scale * out[i];
    }
  });
}
