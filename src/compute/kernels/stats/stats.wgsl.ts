/**
 * WGSL statistics: each workgroup of 64 threads covers 256 elements (4 per thread, strided so reads
 * coalesce), sums per thread in float32, reduces in workgroup memory and writes one record of partials;
 * the host adds the records in float64 (so the float32 error is that of ≤ 256-element sums, about
 * 1e-7·Σ|terms|). min/max reduce order-preserving u32 keys of the float bits (exact, and immune to a
 * compiler's NaN or subnormal shortcuts); finiteness, zero and sign tests are on bits too.
 *
 * Record per vector: sum f32, sumSq f32, min key, max key, nan, inf, nearZero (7 words);
 * per pair: dot f32, signAgree, bothNonzero (3 words).
 */
import type { StatsSpec } from '../../engine';
import type { ComputeDType } from '../../../formats/dtype';
import { BINDINGS, HELPERS, PARAM_N, PARAM_OFFSETS, SIGN_HELPERS, f32bits, load, type KernelPlan } from '../common/common.wgsl';

export const STATS_THREADS = 64;
export const STATS_PER_THREAD = 4;
export const STATS_ELEMENTS_PER_GROUP = STATS_THREADS * STATS_PER_THREAD;
export const VECTOR_WORDS = 7;
export const PAIR_WORDS = 3;

export function statsRecordWords(spec: StatsSpec): number {
  return spec.vectors.length * VECTOR_WORDS + spec.pairs.length * PAIR_WORDS;
}

/** Workgroup memory the kernel needs (bytes); the engine checks it against the device limit. */
export function statsWorkgroupBytes(spec: StatsSpec): number {
  return statsRecordWords(spec) * STATS_THREADS * 4;
}

/** The nearZero bound as a strict u32 limit on |v|'s bits: |v| ≤ nz ⇔ bits(|v|) < limit (0 counts none). */
export function nearZeroLimit(nearZero: number): number {
  const nz = Math.fround(nearZero);
  return nz >= 0 ? f32bits(nz) + 1 : 0;
}

export function statsKernel(dtypes: ComputeDType[], spec: StatsSpec): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const V = spec.vectors.length;
  const Q = spec.pairs.length;
  const NF = 2 * V + Q;
  const NU = 5 * V + 2 * Q;
  const T = STATS_THREADS;
  const decl: string[] = [];
  const body: string[] = [];
  spec.vectors.forEach((v, k) => {
    decl.push(`var sum${k}: f32 = 0.0;`, `var sq${k}: f32 = 0.0;`, `var mn${k}: u32 = 0xffffffffu;`, `var mx${k}: u32 = 0u;`,
      `var nan${k}: u32 = 0u;`, `var inf${k}: u32 = 0u;`, `var nz${k}: u32 = 0u;`);
    const val = v.b === null ? load(v.a, dtypes[v.a]) : `${load(v.a, dtypes[v.a])} - ${load(v.b, dtypes[v.b])}`;
    body.push(`let v${k} = ftz(${val});`,
      `if (is_finite(v${k})) {`,
      `  sum${k} = sum${k} + v${k}; sq${k} = sq${k} + v${k} * v${k};`,
      `  let key${k} = fkey(v${k}); mn${k} = min(mn${k}, key${k}); mx${k} = max(mx${k}, key${k});`,
      `  if ((bitcast<u32>(v${k}) & 0x7fffffffu) < prm[${P}u]) { nz${k} = nz${k} + 1u; }`,
      `} else if (is_nan(v${k})) { nan${k} = nan${k} + 1u; } else { inf${k} = inf${k} + 1u; }`);
  });
  spec.pairs.forEach(([p, q], k) => {
    decl.push(`var dot${k}: f32 = 0.0;`, `var ag${k}: u32 = 0u;`, `var bo${k}: u32 = 0u;`);
    body.push(`if (is_finite(v${p}) && is_finite(v${q})) {`,
      `  dot${k} = dot${k} + v${p} * v${q};`,
      `  if (!is_zero(v${p}) && !is_zero(v${q})) { bo${k} = bo${k} + 1u; if (gt0(v${p}) == gt0(v${q})) { ag${k} = ag${k} + 1u; } }`,
      `}`);
  });
  // Workgroup memory: float slots [sum_k, sq_k]…, dot_k…; u32 slots [mn, mx, nan, inf, nz]_k…, [ag, bo]_k…
  const fNames: string[] = [];
  const uNames: { name: string; op: 'add' | 'min' | 'max' }[] = [];
  spec.vectors.forEach((_, k) => {
    fNames.push(`sum${k}`, `sq${k}`);
    uNames.push({ name: `mn${k}`, op: 'min' }, { name: `mx${k}`, op: 'max' }, { name: `nan${k}`, op: 'add' }, { name: `inf${k}`, op: 'add' }, { name: `nz${k}`, op: 'add' });
  });
  spec.pairs.forEach((_, k) => {
    fNames.push(`dot${k}`);
    uNames.push({ name: `ag${k}`, op: 'add' }, { name: `bo${k}`, op: 'add' });
  });
  const store = [
    ...fNames.map((nm, f) => `sf[${f * T}u + lid] = ${nm};`),
    ...uNames.map((u, f) => `su[${f * T}u + lid] = ${u.name};`),
  ];
  const reduce = [
    ...fNames.map((_, f) => `sf[${f * T}u + lid] = sf[${f * T}u + lid] + sf[${f * T}u + lid + s];`),
    ...uNames.map((u, f) => {
      const a = `su[${f * T}u + lid]`;
      const b = `su[${f * T}u + lid + s]`;
      return `${a} = ${u.op === 'add' ? `${a} + ${b}` : `${u.op}(${a}, ${b})`};`;
    }),
  ];
  // Record layout (see the header): per vector 7 words, then per pair 3 words.
  const write: string[] = [];
  spec.vectors.forEach((_, k) => {
    const o = k * 7;
    write.push(`dst[r + ${o}u] = bitcast<u32>(sf[${2 * k * T}u]);`, `dst[r + ${o + 1}u] = bitcast<u32>(sf[${(2 * k + 1) * T}u]);`);
    for (let w = 0; w < 5; w++) write.push(`dst[r + ${o + 2 + w}u] = su[${(5 * k + w) * T}u];`);
  });
  spec.pairs.forEach((_, k) => {
    const o = V * 7 + k * 3;
    write.push(`dst[r + ${o}u] = bitcast<u32>(sf[${(2 * V + k) * T}u]);`,
      `dst[r + ${o + 1}u] = su[${(5 * V + 2 * k) * T}u];`, `dst[r + ${o + 2}u] = su[${(5 * V + 2 * k + 1) * T}u];`);
  });
  const R = statsRecordWords(spec);
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}
// Order-preserving key of float bits: larger float, larger key (−0 just below +0).
fn fkey(x: f32) -> u32 { let b = bitcast<u32>(x); return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u); }
var<workgroup> sf: array<f32, ${Math.max(1, NF * T)}>;
var<workgroup> su: array<u32, ${Math.max(1, NU * T)}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  let n = prm[${PARAM_N}u];
  if (g * ${STATS_ELEMENTS_PER_GROUP}u >= n) { return; }
  ${decl.join('\n  ')}
  for (var e = 0u; e < ${STATS_PER_THREAD}u; e = e + 1u) {
    let i = g * ${STATS_ELEMENTS_PER_GROUP}u + e * ${T}u + lid;
    if (i < n) {
      ${body.join('\n      ')}
    }
  }
  ${store.join('\n  ')}
  workgroupBarrier();
  for (var s = ${T / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      ${reduce.join('\n      ')}
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let r = g * ${R}u;
    ${write.join('\n    ')}
  }
}`;
  const shape = spec.vectors.map((v) => `${v.a}-${v.b ?? '_'}`).join(',') + '/' + spec.pairs.map(([p, q]) => `${p}-${q}`).join(',');
  return { key: `stats|${dtypes.join(',')}|${shape}`, code, params: [nearZeroLimit(spec.nearZero)], shape: 'stats' };
}
