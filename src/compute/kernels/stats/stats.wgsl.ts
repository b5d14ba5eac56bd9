/**
 * WGSL statistics, mirroring stats.ref.ts with double-float partial sums. Each workgroup of 64 threads
 * covers 256 elements (4 per thread, strided so reads coalesce). Per element v = x[a] − x[b] is an exact
 * pair (TwoDiff), v² and v_p·v_q are exact-product pairs (TwoProd) plus their cross terms, and every sum
 * is a double-float (TwoSum on the high word, low words added): the error is ~2^-48 of Σ|terms|, so a
 * cancelling dot product (cosines near 0) keeps ~1e-14 relative accuracy against Σ|terms|. The workgroup
 * reduces pairs the same way and writes (hi, lo) words that the host adds in float64.
 * min/max reduce lexicographic (key(hi), key(lo)) pairs of order-preserving u32 keys, so they are the
 * exact float64 values (hi + lo); finiteness, zero, sign and near-zero tests are on bits too.
 *
 * Record per vector: sum hi, lo, sumSq hi, lo, min key hi, lo, max key hi, lo, nan, inf, nearZero (11 words);
 * per pair: dot hi, lo, signAgree, bothNonzero (4 words).
 */
import type { StatsSpec } from './stats.ref';
import type { ComputeDType } from '../../../formats/dtype';
import {
  BINDINGS, HELPERS, PARAM_N, PARAM_OFFSETS, PARAM_ZERO, SIGN_HELPERS, dfHelpers, f64Pair, load,
  type KernelPlan, type TwoProdMode,
} from '../common/common.wgsl';

export const STATS_THREADS = 64;
export const STATS_PER_THREAD = 4;
export const STATS_ELEMENTS_PER_GROUP = STATS_THREADS * STATS_PER_THREAD;
export const VECTOR_WORDS = 11;
export const PAIR_WORDS = 4;

export function statsRecordWords(spec: StatsSpec): number {
  return spec.vectors.length * VECTOR_WORDS + spec.pairs.length * PAIR_WORDS;
}

/** Workgroup memory the kernel needs (bytes); the engine checks it against the device limit. */
export function statsWorkgroupBytes(spec: StatsSpec): number {
  return statsRecordWords(spec) * STATS_THREADS * 4;
}

/** The nearZero bound (float64) as a float32 pair (hi, lo bits); |v| ≤ nearZero is tested on the pair's keys. */
export function nearZeroPair(nearZero: number): [number, number] {
  return f64Pair(nearZero);
}

export function statsKernel(dtypes: ComputeDType[], spec: StatsSpec, mode: TwoProdMode): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const V = spec.vectors.length;
  const T = STATS_THREADS;
  const decl: string[] = [];
  const body: string[] = [];
  spec.vectors.forEach((v, k) => {
    decl.push(`var sum${k} = vec2<f32>(0.0);`, `var sq${k} = vec2<f32>(0.0);`, `var mn${k} = vec2<u32>(0xffffffffu);`,
      `var mx${k} = vec2<u32>(0u);`, `var nan${k}: u32 = 0u;`, `var inf${k}: u32 = 0u;`, `var nz${k}: u32 = 0u;`);
    const val = v.b === null ? `vec2<f32>(${load(v.a, dtypes[v.a])}, 0.0)` : `two_diff(${load(v.a, dtypes[v.a])}, ${load(v.b, dtypes[v.b])})`;
    body.push(`var v${k} = ${val};`,
      `if (is_tiny(v${k}.x)) { v${k} = vec2<f32>(0.0); }`,
      `let f${k} = is_finite(v${k}.x);`,
      `if (f${k}) {`,
      `  sum${k} = acc2(sum${k}, v${k});`,
      `  sq${k} = acc2(sq${k}, mul2(v${k}, v${k}));`,
      `  let key${k} = vec2<u32>(fkey(v${k}.x), fkey(v${k}.y)); mn${k} = kmin(mn${k}, key${k}); mx${k} = kmax(mx${k}, key${k});`,
      `  if (!klt(nzk, kabs(v${k}))) { nz${k} = nz${k} + 1u; }`,
      `} else if (is_nan(v${k}.x)) { nan${k} = nan${k} + 1u; } else { inf${k} = inf${k} + 1u; }`);
  });
  spec.pairs.forEach(([p, q], k) => {
    decl.push(`var dot${k} = vec2<f32>(0.0);`, `var ag${k}: u32 = 0u;`, `var bo${k}: u32 = 0u;`);
    body.push(`if (f${p} && f${q}) {`,
      `  dot${k} = acc2(dot${k}, mul2(v${p}, v${q}));`,
      `  if (!is_zero(v${p}.x) && !is_zero(v${q}.x)) { bo${k} = bo${k} + 1u; if (gt0(v${p}.x) == gt0(v${q}.x)) { ag${k} = ag${k} + 1u; } }`,
      `}`);
  });
  // Workgroup memory: pair slots sum_k, sq_k…, dot_k…; key-pair slots mn_k, mx_k…; u32 slots nan, inf, nz…, ag, bo…
  const fNames: string[] = [];
  const kNames: { name: string; op: 'kmin' | 'kmax' }[] = [];
  const uNames: string[] = [];
  spec.vectors.forEach((_, k) => {
    fNames.push(`sum${k}`, `sq${k}`);
    kNames.push({ name: `mn${k}`, op: 'kmin' }, { name: `mx${k}`, op: 'kmax' });
    uNames.push(`nan${k}`, `inf${k}`, `nz${k}`);
  });
  spec.pairs.forEach((_, k) => {
    fNames.push(`dot${k}`);
    uNames.push(`ag${k}`, `bo${k}`);
  });
  const at = (f: number) => `${f * T}u + lid`;
  const store = [
    ...fNames.map((nm, f) => `sf[${at(f)}] = ${nm};`),
    ...kNames.map((u, f) => `sk[${at(f)}] = ${u.name};`),
    ...uNames.map((nm, f) => `su[${at(f)}] = ${nm};`),
  ];
  const reduce = [
    ...fNames.map((_, f) => `sf[${at(f)}] = add2(sf[${at(f)}], sf[${at(f)} + s]);`),
    ...kNames.map((u, f) => `sk[${at(f)}] = ${u.op}(sk[${at(f)}], sk[${at(f)} + s]);`),
    ...uNames.map((_, f) => `su[${at(f)}] = su[${at(f)}] + su[${at(f)} + s];`),
  ];
  const write: string[] = [];
  spec.vectors.forEach((_, k) => {
    const o = k * VECTOR_WORDS;
    const w = (off: number, e: string) => write.push(`dst[r + ${o + off}u] = ${e};`);
    w(0, `bitcast<u32>(sf[${2 * k * T}u].x)`); w(1, `bitcast<u32>(sf[${2 * k * T}u].y)`);
    w(2, `bitcast<u32>(sf[${(2 * k + 1) * T}u].x)`); w(3, `bitcast<u32>(sf[${(2 * k + 1) * T}u].y)`);
    w(4, `sk[${2 * k * T}u].x`); w(5, `sk[${2 * k * T}u].y`); w(6, `sk[${(2 * k + 1) * T}u].x`); w(7, `sk[${(2 * k + 1) * T}u].y`);
    for (let u = 0; u < 3; u++) w(8 + u, `su[${(3 * k + u) * T}u]`);
  });
  spec.pairs.forEach((_, k) => {
    const o = V * VECTOR_WORDS + k * PAIR_WORDS;
    const f = (2 * V + k) * T;
    write.push(`dst[r + ${o}u] = bitcast<u32>(sf[${f}u].x);`, `dst[r + ${o + 1}u] = bitcast<u32>(sf[${f}u].y);`,
      `dst[r + ${o + 2}u] = su[${(3 * V + 2 * k) * T}u];`, `dst[r + ${o + 3}u] = su[${(3 * V + 2 * k + 1) * T}u];`);
  });
  const R = statsRecordWords(spec);
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${dfHelpers(mode)}
// Order-preserving key of float bits: larger float, larger key (−0 just below +0).
fn fkey(x: f32) -> u32 { let b = bitcast<u32>(x); return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u); }
// Pairs of keys compare lexicographically: for a renormalised (hi, lo) that is the order of hi + lo.
fn klt(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }
fn kmin(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, klt(b, a)); }
fn kmax(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(a, b, klt(a, b)); }
fn kabs(v: vec2<f32>) -> vec2<u32> { let n = lt0(v.x); return vec2<u32>(fkey(select(v.x, -v.x, n)), fkey(select(v.y, -v.y, n))); }
// Double-float running sum (error ~2^-48 of the magnitudes added) and an exact-product pair.
fn acc2(a: vec2<f32>, v: vec2<f32>) -> vec2<f32> { let s = two_sum(a.x, v.x); return vec2<f32>(s.x, a.y + (s.y + v.y)); }
fn add2(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { let s = two_sum(a.x, b.x); return vec2<f32>(s.x, (a.y + b.y) + s.y); }
fn mul2(p: vec2<f32>, q: vec2<f32>) -> vec2<f32> { let t = two_prod(p.x, q.x); return vec2<f32>(t.x, t.y + (p.x * q.y + p.y * q.x)); }
var<workgroup> sf: array<vec2<f32>, ${Math.max(1, fNames.length * T)}>;
var<workgroup> sk: array<vec2<u32>, ${Math.max(1, kNames.length * T)}>;
var<workgroup> su: array<u32, ${Math.max(1, uNames.length * T)}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ZERO = prm[${PARAM_ZERO}u];
  let g = wid.y * nwg.x + wid.x;
  let n = prm[${PARAM_N}u];
  if (g * ${STATS_ELEMENTS_PER_GROUP}u >= n) { return; }
  let nzk = vec2<u32>(fkey(bitcast<f32>(prm[${P}u])), fkey(bitcast<f32>(prm[${P + 1}u])));
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
  return { key: `stats|${mode}|${dtypes.join(',')}|${shape}`, code, params: nearZeroPair(spec.nearZero), shape: 'stats' };
}
