/**
 * The randomised SVD's matrix product on WebGPU: C = op(A)·X with op(A) = A or Aᵀ, A read from its
 * packed F32/F16/BF16 words (a row block of the matrix M, or an f32 panel), X an f32 panel.
 *
 * 16 × 16 output tiles per workgroup; A and X go through workgroup memory 16 along the reduction at
 * a time. Each output is one thread's sum over the reduction index in increasing order (a fixed
 * order: the result does not depend on scheduling), with every product exact (TwoProd) and the sum
 * compensated (TwoSum, the errors summed apart): the f32 result is the exact sum rounded once, up to
 * ~2^-44 of Σ|a·x|. So cancellation (the orthonormalisation's P·T removes the dominant direction from
 * every column) costs no accuracy. `accumulate` adds the previous C (the row blocks of Mᵀ·X, summed
 * in block order, one rounding per block); `pairs` stores (hi, lo) so a Gram matrix keeps ~2^-48.
 *
 * Parameters (prm, u32): [0] I output rows, [1] J output columns (= X's row length), [2] K reduction
 * length, [3] A's stored row length, [4] a run-time zero (see common.wgsl.ts), [5] A's word offset,
 * [6] X's first row, [7] C's first row.
 */
import type { ComputeDType } from '../../formats/dtype';
import { BINDINGS, HELPERS, dfHelpers, type TwoProdMode } from '../kernels/common/common.wgsl';

export const GEMM_TILE = 16;

export interface GemmVariant {
  /** A's element type. */
  dtype: ComputeDType;
  /** C = Aᵀ·X instead of A·X (A stored row-major either way). */
  transposeA: boolean;
  accumulate: boolean;
  pairs: boolean;
  twoProd: TwoProdMode;
}

export function gemmKey(v: GemmVariant): string {
  return `gemm-${v.dtype}-${v.transposeA ? 't' : 'n'}${v.accumulate ? '-acc' : ''}${v.pairs ? '-pairs' : ''}-${v.twoProd}`;
}

export function gemmWgsl(v: GemmVariant): string {
  const index = v.transposeA ? 'k * prm[3u] + i' : 'i * prm[3u] + k';
  // Load A so that neighbouring threads read neighbouring words (i runs along memory for Aᵀ).
  const loadA = v.transposeA
    ? 'let ai = i0 + lid.x; let ak = k0 + lid.y; var av = 0.0; if (ai < I && ak < K) { av = a_at(ai, ak); } at[lid.x][lid.y] = av;'
    : 'let ai = i0 + lid.y; let ak = k0 + lid.x; var av = 0.0; if (ai < I && ak < K) { av = a_at(ai, ak); } at[lid.y][lid.x] = av;';
  const acc = v.accumulate ? 'let t = two_sum(bitcast<f32>(dst[idx]), s); s = t.x; c = c + t.y;' : '';
  const store = v.pairs
    ? 'dst[2u * idx] = bitcast<u32>(r.x); dst[2u * idx + 1u] = bitcast<u32>(r.y);'
    : 'dst[idx] = bitcast<u32>(r.x);';
  return /* wgsl */ `
${BINDINGS}
@group(0) @binding(3) var<storage, read> xs: array<f32>;
${HELPERS}
${dfHelpers(v.twoProd)}
const TS: u32 = ${GEMM_TILE}u;
var<workgroup> at: array<array<f32, ${GEMM_TILE}>, ${GEMM_TILE}>;
var<workgroup> xt: array<array<f32, ${GEMM_TILE}>, ${GEMM_TILE}>;
fn a_at(i: u32, k: u32) -> f32 { return ld_${v.dtype}(prm[5u], ${index}); }

@compute @workgroup_size(${GEMM_TILE}, ${GEMM_TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  ZERO = prm[4u];
  let I = prm[0u];
  let J = prm[1u];
  let K = prm[2u];
  let i0 = wg.x * TS;
  let j0 = wg.y * TS;
  var s = 0.0;
  var c = 0.0;
  for (var k0 = 0u; k0 < K; k0 = k0 + TS) {
    ${loadA}
    let xk = k0 + lid.y;
    let xj = j0 + lid.x;
    var xv = 0.0;
    if (xk < K && xj < J) { xv = xs[(prm[6u] + xk) * J + xj]; }
    xt[lid.y][lid.x] = xv;
    workgroupBarrier();
    for (var kk = 0u; kk < TS; kk = kk + 1u) {
      let p = two_prod(at[lid.y][kk], xt[kk][lid.x]);
      let t = two_sum(s, p.x);
      s = t.x;
      c = c + (t.y + p.y);
    }
    workgroupBarrier();
  }
  let i = i0 + lid.y;
  let j = j0 + lid.x;
  if (i >= I || j >= J) { return; }
  let idx = (prm[7u] + i) * J + j;
  ${acc}
  let r = two_sum(s, c);
  ${store}
}
`;
}
