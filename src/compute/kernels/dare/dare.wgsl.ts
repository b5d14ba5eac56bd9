/**
 * WGSL DARE: the same counter hash as hash.ts in u32 math (masks bit-identical to the CPU twin's), then
 * dare.ref.ts's drop-and-rescale folded into the coefficients: a kept τ'_j = d_j / density_j enters
 * combine as c_j = scale·w_j/density_j (formed on the host to ~2^-100, split into three float32) or
 * TIES as s_j = (w_j/density_j)·d_j; a dropped one contributes 0·d_j (NaN for a NaN/Inf d_j, as
 * PyTorch's `delta * mask`). Per-term keys are computed on the host by hash.ts (dareTermKey).
 */
import type { DareSpec } from './dare.ref';
import type { ComputeDType } from '../../../formats/dtype';
import {
  BINDINGS, HELPERS, PARAM_FIRST_HI, PARAM_FIRST_LO, PARAM_N, PARAM_OFFSETS, PARAM_ROW, PARAM_ZERO, SIGN_HELPERS,
  ddDiv64, dfHelpers, f32bits, f64Pair, f64Triple, pairMain, twoProd64, type KernelPlan, type TwoProdMode,
} from '../common/common.wgsl';
import { guardedValue, linearFns, usedInputs } from '../combine/combine.wgsl';
import { tiesFns, type TiesLayout } from '../ties/ties.wgsl';
import { dareDropBelow, dareTermKey } from './hash';

export const HASH_WGSL = /* wgsl */ `
fn fmix32(x0: u32) -> u32 {
  var x = x0;
  x = x ^ (x >> 16u);
  x = x * 0x85ebca6bu;
  x = x ^ (x >> 13u);
  x = x * 0xc2b2ae35u;
  return x ^ (x >> 16u);
}
// Hash of element i of this dispatch under a term key (hash.ts: dareElementHash).
fn dare_hash(key: u32, i: u32) -> u32 {
  let lo = prm[${PARAM_FIRST_LO}u] + i;
  let hi = prm[${PARAM_FIRST_HI}u] + select(0u, 1u, lo < prm[${PARAM_FIRST_LO}u]);
  return fmix32(lo * 0x9e3779b1u + fmix32(key ^ hi));
}
`;

/** The most terms one DARE call takes (the keep mask is one u32 per element). */
export const DARE_MAX_TERMS = 32;

export function dareKernel(dtypes: ComputeDType[], spec: DareSpec, mode: TwoProdMode): KernelPlan {
  const m = spec.terms.length;
  if (m > DARE_MAX_TERMS) throw new Error(`dare: ${m} terms; the WebGPU engine takes at most ${DARE_MAX_TERMS} per call`);
  const P = PARAM_OFFSETS + dtypes.length;
  // Per term j at P + 8j: key, dropBelow, coef (three float32), w_j (two), f32(1/density_j); then λ = scale (three).
  const at = (j: number, w: number) => P + 8 * j + w;
  const used = usedInputs(spec.base, spec.terms);
  const K = Math.max(1, used.size);
  const keepCode = ['var keep = 0u;', ...spec.terms.map((_, j) =>
    `if (dare_hash(prm[${at(j, 0)}u], i) >= prm[${at(j, 1)}u]) { keep = keep | ${(1 << j) >>> 0}u; }`)].join('\n  ');
  const kept = (j: number) => `((keep >> ${j}u) & 1u) != 0u`;
  const layout: TiesLayout = {
    coef: (j) => at(j, 2), weight: (j) => at(j, 5), threshold: null,
    dare: { rescale: (j) => at(j, 7), kept }, lambda: P + 8 * m, normalize: spec.normalize,
  };
  const body = spec.ties
    ? tiesFns(K, used, spec.base, spec.terms, layout)
    : linearFns(K, used, spec.base, spec.terms, (j) => at(j, 2), kept);
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${dfHelpers(mode)}${HASH_WGSL}
${body}
${guardedValue(dtypes, used, keepCode)}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  const params: number[] = [];
  spec.terms.forEach((t, j) => {
    const density = 1 - spec.p[j];
    // combine: scale·w_j/density_j; TIES: w_j/density_j (λ = scale applies after the merge).
    const [h, l] = spec.ties ? ddDiv64(t.w, 0, density) : ddDiv64(...twoProd64(spec.scale, t.w), density);
    params.push(dareTermKey(spec.seed, spec.salts[j]), dareDropBelow(spec.p[j]), ...f64Triple(h, l), ...f64Pair(t.w), f32bits(1 / density));
  });
  params.push(...f64Triple(spec.scale));
  return {
    key: `dare|${mode}|${dtypes.join(',')}|${spec.base}|${shape}|${spec.ties ? (spec.normalize ? 'ties-mean' : 'ties-sum') : 'sum'}|${spec.outDtype}`,
    code,
    params,
    shape: 'pair',
  };
}

/** A diagnostic kernel writing the raw u32 hash of each element (parity tests compare it with hash.ts). */
export function hashKernel(seed: number, salt: number): KernelPlan {
  const code = `${BINDINGS}${HASH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ZERO = prm[${PARAM_ZERO}u];
  let i = gid.y * prm[${PARAM_ROW}u] + gid.x;
  if (i >= prm[${PARAM_N}u]) { return; }
  dst[i] = dare_hash(prm[${PARAM_OFFSETS}u], i);
}`;
  return { key: 'dare-hash', code, params: [dareTermKey(seed, salt)], shape: 'hash' };
}
