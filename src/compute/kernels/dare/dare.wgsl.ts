/**
 * WGSL DARE: the same counter hash as hash.ts in u32 math, drop-and-rescale as dare.ref.ts, then the
 * combine or TIES body. Per-term keys are computed on the host by hash.ts (dareTermKey).
 */
import type { DareSpec } from '../../engine';
import type { ComputeDType } from '../../../formats/dtype';
import { BINDINGS, HELPERS, PARAM_FIRST_HI, PARAM_FIRST_LO, PARAM_N, PARAM_OFFSETS, PARAM_ROW, SIGN_HELPERS, f32bits, load, pairMain, param, type KernelPlan } from '../common/common.wgsl';
import { accumulate } from '../combine/combine.wgsl';
import { tiesBody } from '../ties/ties.wgsl';
import { dareDropBelow, dareRescale, dareTermKey } from './hash';

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

export function dareKernel(dtypes: ComputeDType[], spec: DareSpec): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const m = spec.terms.length;
  // Parameters: w_0..w_{m-1}, key_0..key_{m-1}, dropBelow, rescale, scale, normalize, a zero word.
  const DROP = P + 2 * m;
  const R = DROP + 1;
  const S = DROP + 2;
  const NORM = DROP + 3;
  const taus = spec.terms.map((t, j) => {
    const d = t.b === null ? load(t.a, dtypes[t.a]) : `(${load(t.a, dtypes[t.a])} - ${load(t.b, dtypes[t.b])})`;
    return `let t${j} = ${d} * select(0.0, ${param(R)}, dare_hash(prm[${P + m + j}u], i) >= prm[${DROP}u]);`;
  });
  const base = load(spec.base, dtypes[spec.base]);
  const body = spec.ties
    ? tiesBody(m, base, (j) => P + j, null, S, NORM)
    : `${accumulate(taus.map((_, j) => `t${j}`), (j) => P + j)}\n  return ${base} + ${param(S)} * acc;`;
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${HASH_WGSL}
fn value(i: u32) -> f32 {
  ${taus.join('\n  ')}
  ${body}
}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  return {
    key: `dare|${dtypes.join(',')}|${spec.base}|${shape}|${spec.ties ? 'ties' : 'sum'}|${spec.outDtype}`,
    code,
    params: [
      ...spec.terms.map((t) => f32bits(t.w)), ...spec.salts.map((s) => dareTermKey(spec.seed, s)),
      dareDropBelow(spec.p), f32bits(dareRescale(spec.p)), f32bits(spec.scale), spec.normalize ? 1 : 0, 0,
    ],
    shape: 'pair',
  };
}

/** A diagnostic kernel writing the raw u32 hash of each element (parity tests compare it with hash.ts). */
export function hashKernel(seed: number, salt: number): KernelPlan {
  const code = `${BINDINGS}${HASH_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * prm[${PARAM_ROW}u] + gid.x;
  if (i >= prm[${PARAM_N}u]) { return; }
  dst[i] = dare_hash(prm[${PARAM_OFFSETS}u], i);
}`;
  return { key: 'dare-hash', code, params: [dareTermKey(seed, salt)], shape: 'hash' };
}
