/**
 * WGSL shared by every kernel: bindings, loading packed F32/F16/BF16 words, double-float arithmetic
 * (error-free transforms on f32 pairs), and rounding a (hi, lo) pair ONCE into the output dtype.
 *
 * Layout: `src` holds every input packed into u32 words (F32 one element per word, F16/BF16 two per word,
 * low half first, odd counts padded); `prm` holds [0] n, [1] threads per dispatch row, [2..3] first
 * element (lo, hi), [4] a run-time zero word, [5..5+k) each input's word offset in `src`, then kernel
 * parameters (floats as bits).
 *
 * Why double-float: the contract (engine.ts) asks for the exact result rounded once, also where terms
 * cancel (θ_pre + α·γ with θ_pre ≈ −α·γ); float32 steps lose everything there. Three guards keep the
 * error-free transforms error-free under a shader compiler:
 * - `opq(x)` XORs the bits with a zero the compiler cannot see (prm[4]): the sum of a TwoSum and the
 *   product of a TwoProd are then opaque, so neither algebraic simplification (s − a → b) nor fusing a
 *   product into a later add (a·b + c → fma) can change them;
 * - TwoProd uses `fma` only where the engine measured it fused (WGSL lets `fma` round twice, and
 *   SwiftShader does); otherwise Dekker's split product, exact with plain multiplies;
 * - NaN/Inf and sign tests are on bits (a compiler may assume floats are finite).
 * float32 subnormals: a GPU may flush them (WGSL allows it); results below 2^-126 may then differ.
 */
import type { ComputeDType } from '../../../formats/dtype';

export const PARAM_N = 0;
export const PARAM_ROW = 1;
export const PARAM_FIRST_LO = 2;
export const PARAM_FIRST_HI = 3;
export const PARAM_ZERO = 4;
export const PARAM_OFFSETS = 5;

export const WORKGROUP = 256;

/** How TwoProd is computed: `fma` where the device fuses it (measured), otherwise Dekker's split. */
export type TwoProdMode = 'fma' | 'dekker';

export const BINDINGS = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> prm: array<u32>;
var<private> ZERO: u32;
`;

export const HELPERS = /* wgsl */ `
fn pf(k: u32) -> f32 { return bitcast<f32>(prm[k]); }
fn is_nan(x: f32) -> bool { let b = bitcast<u32>(x); return (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu) != 0u; }
fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
// A quiet NaN made at run time (a NaN constant expression is a WGSL compile error).
fn qnan() -> f32 { var b = 0x7fc00000u; return bitcast<f32>(b); }

fn ld_F32(off: u32, i: u32) -> f32 { return bitcast<f32>(src[off + i]); }
fn ld_BF16(off: u32, i: u32) -> f32 {
  let w = src[off + (i >> 1u)];
  return bitcast<f32>(select(w & 0xffff0000u, w << 16u, (i & 1u) == 0u));
}
// Half to float by integer math: exact for subnormals even where float ops flush them.
fn ld_F16(off: u32, i: u32) -> f32 {
  let w = src[off + (i >> 1u)];
  let h = select(w >> 16u, w & 0xffffu, (i & 1u) == 0u);
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  var b: u32;
  if (e == 0u) {
    if (m == 0u) { b = s; } else {
      let p = firstLeadingBit(m);           // 0..9
      let sh = 10u - p;
      b = s | ((113u - sh) << 23u) | (((m << sh) & 0x3ffu) << 13u);
    }
  } else if (e == 31u) {
    b = s | 0x7f800000u | (m << 13u);
  } else {
    b = s | ((e + 112u) << 23u) | (m << 13u);
  }
  return bitcast<f32>(b);
}

// Tie-break when hi sits exactly on a tie of the output dtype: +1 round |hi| up (lo on hi's side),
// -1 down, 0 (lo zero) to even.
fn tie_dir(hi: f32, lo: f32) -> i32 {
  let l = bitcast<u32>(lo);
  if ((l & 0x7fffffffu) == 0u || !is_finite(hi)) { return 0; }
  return select(-1, 1, ((l ^ bitcast<u32>(hi)) & 0x80000000u) == 0u);
}

// (hi, lo) to float32 bits: hi is already the nearest float32 of hi + lo; NaN canonical.
fn enc_F32(hi: f32, lo: f32) -> u32 {
  if (is_nan(hi)) { return 0x7fc00000u; }
  return bitcast<u32>(hi);
}

// (hi, lo) to bfloat16 bits, rounded once: round hi to nearest even, an exact tie broken by lo's sign.
fn enc_BF16(hi: f32, lo: f32) -> u32 {
  if (is_nan(hi)) { return 0x7fc0u; }
  let b = bitcast<u32>(hi);
  if ((b & 0xffffu) == 0x8000u) {
    let d = tie_dir(hi, lo);
    if (d > 0) { return ((b >> 16u) + 1u) & 0xffffu; }
    if (d < 0) { return b >> 16u; }
  }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}

// (hi, lo) to IEEE half bits, rounded once; overflow gives ±Inf, NaN canonical (f64.ref.ts's rules).
fn enc_F16(hi: f32, lo: f32) -> u32 {
  let b = bitcast<u32>(hi);
  let sign = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  var mant = b & 0x7fffffu;
  if (ex == 0xffu) {
    if (mant != 0u) { return 0x7e00u; }
    return sign | 0x7c00u;
  }
  let d = tie_dir(hi, lo);
  let e = i32(ex) - 127 + 15;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    mant = mant | 0x800000u;
    let sh = u32(14 - e);
    let hw = 1u << (sh - 1u);
    let rem = mant & ((1u << sh) - 1u);
    var r = mant >> sh;
    if (rem > hw || (rem == hw && (d > 0 || (d == 0 && (r & 1u) != 0u)))) { r = r + 1u; }
    return sign | r;
  }
  var r = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (d > 0 || (d == 0 && (r & 1u) != 0u)))) { r = r + 1u; }
  return sign | r;
}
`;

/** Sign tests on bits (a compiler may flush subnormals in float compares); valid for non-NaN x. */
export const SIGN_HELPERS = /* wgsl */ `
fn gt0(x: f32) -> bool { let b = bitcast<u32>(x); return b != 0u && b < 0x80000000u; }
fn lt0(x: f32) -> bool { return bitcast<u32>(x) > 0x80000000u; }
fn is_zero(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u; }
// |x| < 2^-126 (zero or subnormal), on bits.
fn is_tiny(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0u; }
`;

/**
 * Double-float arithmetic. A value is vec2(hi, lo) with hi = the nearest float32 of hi + lo after a
 * renormalisation; an accumulator is vec3(a0, a1, a2) whose exact sum is the value (a0 takes the big
 * terms, a1 the rounding errors of a0 and terms ~2^-24 smaller, a2 the rest ~2^-48 smaller), so a sum
 * that cancels keeps its low bits: acc_fin rounds the exact sum to a pair with ~2^-48 relative error.
 */
export function dfHelpers(mode: TwoProdMode): string {
  const prod = mode === 'fma'
    ? `fn two_prod(a: f32, b: f32) -> vec2<f32> { let p = opq(a * b); return vec2<f32>(p, fma(a, b, -p)); }`
    : `// Dekker: 4097·a splits a into two 12-bit halves whose products are exact.
fn split(a: f32) -> vec2<f32> { let t = opq(4097.0 * a); let h = opq(t - (t - a)); return vec2<f32>(h, a - h); }
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = opq(a * b);
  let x = split(a);
  let y = split(b);
  return vec2<f32>(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}`;
  return /* wgsl */ `
fn opq(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ ZERO); }
// Knuth's TwoSum: s + e == a + b exactly.
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opq(a + b);
  let bb = opq(s - a);
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}
fn two_diff(a: f32, b: f32) -> vec2<f32> { return two_sum(a, -b); }
// Renormalise (hi, lo) when |hi| ≥ |lo| or hi == 0.
fn fast_two_sum(a: f32, b: f32) -> vec2<f32> { let s = opq(a + b); return vec2<f32>(s, b - opq(s - a)); }
${prod}
// Double-float sum (sloppy: error ~2^-48 of the larger operand), renormalised.
fn dd_add(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { let s = two_sum(a.x, b.x); return fast_two_sum(s.x, s.y + (a.y + b.y)); }
// c (a float64 split into three float32, c.x + c.y + c.z) times d (a pair), as a renormalised pair.
fn dd_mul3(c: vec3<f32>, d: vec2<f32>) -> vec2<f32> {
  let p = two_prod(c.x, d.x);
  return fast_two_sum(p.x, p.y + (c.x * d.y + (c.y * d.x + c.z * d.x)));
}
// n / d in double-float: a quotient, then one correction from the exact remainder (so a 2.5-ulp WGSL
// division costs nothing in the result).
fn dd_div(n: vec2<f32>, d: vec2<f32>) -> vec2<f32> {
  let q1 = n.x / d.x;
  let p = two_prod(q1, d.x);
  let r = ((n.x - p.x) - p.y) + (n.y - q1 * d.y);
  return fast_two_sum(q1, r / d.x);
}
fn acc_add0(a: vec3<f32>, x: f32) -> vec3<f32> { let s = two_sum(a.x, x); let t = two_sum(a.y, s.y); return vec3<f32>(s.x, t.x, a.z + t.y); }
fn acc_add1(a: vec3<f32>, x: f32) -> vec3<f32> { let t = two_sum(a.y, x); return vec3<f32>(a.x, t.x, a.z + t.y); }
// acc + c·d exactly up to ~2^-72 of |c·d|: c1·d1, c2·d1 and c1·d2 as exact pairs, the rest in a2.
fn acc_cd(acc: vec3<f32>, c: vec3<f32>, d: vec2<f32>) -> vec3<f32> {
  let p = two_prod(c.x, d.x);
  let q = two_prod(c.y, d.x);
  let r = two_prod(c.x, d.y);
  var a = acc_add0(acc, p.x);
  a = acc_add1(a, p.y);
  a = acc_add1(a, q.x);
  a = acc_add1(a, r.x);
  return vec3<f32>(a.x, a.y, a.z + ((q.y + r.y) + (c.z * d.x + c.y * d.y)));
}
// The float64 view of a result: hi + lo rounded to the float64 grid at magnitude m (one float64 ulp of
// m, a power of two g), then renormalised. A float64 reference rounds its products and sums to 53 bits,
// so offsets of the exact value below g/2 are invisible to it; combine rounds to that grid so that its
// output is the float64 reference's, bit for bit, where the exact value and float64 disagree only
// below float64's precision: e.g. base + 0.8·d where 4d/5 is short (a tie of the output, or an exact
// zero after cancellation) but α = f64(0.8) is not, so the exact value misses it by ~2^-54·|0.8·d|.
fn grid_round(r: vec2<f32>, m: f32) -> vec2<f32> {
  let e = (bitcast<u32>(m) >> 23u) & 0xffu;
  if (e <= 52u || e == 255u || !is_finite(r.x)) { return r; }
  let g = bitcast<f32>((e - 52u) << 23u);
  let ig = bitcast<f32>((254u - (e - 52u)) << 23u);   // 1/g, exact
  let big = 8388608.0 * g;                             // 2^23·g: above it, hi is a multiple of g
  if (abs(r.x) >= big) {
    if (abs(r.y) >= big) { return r; }
    return fast_two_sum(r.x, round(r.y * ig) * g);
  }
  let q = r.x * ig;
  var k = round(q);
  let t = (q - k) + r.y * ig;
  if (t > 0.5 || (t == 0.5 && fract(k * 0.5) != 0.0)) { k = k + 1.0; }
  if (t < -0.5 || (t == -0.5 && fract(k * 0.5) != 0.0)) { k = k - 1.0; }
  return vec2<f32>(k * g, 0.0);
}
// The accumulator's exact sum as a renormalised pair (hi = nearest float32 of the value).
fn acc_fin(a: vec3<f32>) -> vec2<f32> { let s = two_sum(a.x, a.y); return two_sum(s.x, s.y + a.z); }
`;
}

/**
 * An entry point that runs `value(i)` (a (hi, lo) pair) for elements 2t and 2t+1 and stores them in
 * `out` dtype, each rounded once.
 */
export function pairMain(out: ComputeDType): string {
  const store = out === 'F32'
    ? `dst[i0] = enc_F32(r0.x, r0.y); if (i0 + 1u < n) { dst[i0 + 1u] = enc_F32(r1.x, r1.y); }`
    : `dst[t] = enc_${out}(r0.x, r0.y) | (enc_${out}(r1.x, r1.y) << 16u);`;
  return /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  ZERO = prm[${PARAM_ZERO}u];
  let t = gid.y * prm[${PARAM_ROW}u] + gid.x;
  let n = prm[${PARAM_N}u];
  let i0 = t * 2u;
  if (i0 >= n) { return; }
  let r0 = value(i0);
  var r1 = vec2<f32>(0.0);
  if (i0 + 1u < n) { r1 = value(i0 + 1u); }
  ${store}
}
`;
}

/** WGSL expression loading element `i` of input k. */
export function load(k: number, dtype: ComputeDType, i = 'i'): string {
  return `ld_${dtype}(prm[${PARAM_OFFSETS + k}u], ${i})`;
}

/** WGSL expression of a float32 parameter slot. */
export function param(slot: number): string {
  return `pf(${slot}u)`;
}

/** WGSL vec3 of a float64 parameter stored as three float32 slots (see f64Triple). */
export function param3(slot: number): string {
  return `vec3<f32>(pf(${slot}u), pf(${slot + 1}u), pf(${slot + 2}u))`;
}

/** A compiled kernel: its WGSL, its cache key, and the float/u32 parameters after the input offsets. */
export interface KernelPlan {
  key: string;
  code: string;
  /** Parameter words appended after the input offsets (floats already as bits). */
  params: number[];
  /** 'pair': value(i) per element into outDtype; 'stats' and 'hash': their own mains. */
  shape: 'pair' | 'stats' | 'hash';
}

const f32b = new Float32Array(1);
const u32b = new Uint32Array(f32b.buffer);
/** float32 bits of a number (rounded to float32). */
export function f32bits(x: number): number {
  f32b[0] = x;
  return u32b[0];
}

// ---------- host-side float64 → float32 pieces (exact splits and double-double products) ----------

/** Veltkamp split of a float64 into two 26-bit halves (for Dekker products in float64). */
function split64(a: number): [number, number] {
  const t = 134217729 * a; // 2^27 + 1
  const h = t - (t - a);
  return [h, a - h];
}

/** a·b exactly as a float64 pair (hi, lo). */
export function twoProd64(a: number, b: number): [number, number] {
  const p = a * b;
  if (!Number.isFinite(p) || p === 0) return [p, 0];
  const [ah, al] = split64(a);
  const [bh, bl] = split64(b);
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}

/** (hi, lo) / d, as a float64 pair accurate to ~2^-100. */
export function ddDiv64(hi: number, lo: number, d: number): [number, number] {
  const q1 = hi / d;
  const [p, e] = twoProd64(q1, d);
  const q2 = ((hi - p) - e + lo) / d;
  const s = q1 + q2;
  return [s, q2 - (s - q1)];
}

/**
 * A float64 (or a float64 pair hi + lo) as three float32 whose sum equals it to ~2^-72 relative
 * (exactly for a single float64 in the normal range), as float32 bits in three parameter words.
 */
export function f64Triple(hi: number, lo = 0): [number, number, number] {
  if (!Number.isFinite(hi)) return [f32bits(hi), 0, 0];
  const c1 = Math.fround(hi);
  if (!Number.isFinite(c1)) return [f32bits(c1), 0, 0];
  const r = hi - c1;
  const c2 = Math.fround(r);
  const c3 = Math.fround((r - c2) + lo);
  return [f32bits(c1), f32bits(c2), f32bits(c3)];
}

/** A float64 as a float32 pair (hi = nearest float32, lo = the rounded rest), as bits. */
export function f64Pair(x: number): [number, number] {
  const h = Math.fround(x);
  const l = Number.isFinite(h) ? Math.fround(x - h) : 0;
  return [f32bits(h), f32bits(l)];
}
