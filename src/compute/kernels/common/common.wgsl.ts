/**
 * WGSL shared by every kernel: the bindings, loading packed F32/F16/BF16 words, encoding float32 to the
 * output dtype with integer round-to-nearest-even, and NaN/Inf tests on bits (a shader compiler may
 * assume floats are finite, so float comparisons cannot be trusted to see NaN).
 *
 * Layout: `src` holds every input packed into u32 words (F32 one element per word, F16/BF16 two per word,
 * low half first, odd counts padded); `prm` holds [0] n, [1] threads per dispatch row, [2..3] first
 * element (lo, hi), [4..4+k) each input's word offset in `src`, then kernel parameters (floats as bits).
 */
import type { ComputeDType } from '../../../formats/dtype';

export const PARAM_N = 0;
export const PARAM_ROW = 1;
export const PARAM_FIRST_LO = 2;
export const PARAM_FIRST_HI = 3;
export const PARAM_OFFSETS = 4;

export const WORKGROUP = 256;

export const BINDINGS = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<storage, read> prm: array<u32>;
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

// float32 to bfloat16 bits, round to nearest even; NaN stays a quiet NaN.
fn enc_BF16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu) != 0u) { return ((b >> 16u) | 0x40u) & 0xffffu; }
  return ((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u) & 0xffffu;
}

// float32 to IEEE half bits, round to nearest even; overflow gives ±Inf, NaN stays NaN (dtype.ts's rule).
fn enc_F16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  var mant = b & 0x7fffffu;
  if (ex == 0xffu) {
    if (mant != 0u) { return sign | 0x7c00u | 0x200u | (mant >> 13u); }
    return sign | 0x7c00u;
  }
  let e = i32(ex) - 127 + 15;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    mant = mant | 0x800000u;
    let sh = u32(14 - e);
    let hw = 1u << (sh - 1u);
    let rem = mant & ((1u << sh) - 1u);
    var r = mant >> sh;
    if (rem > hw || (rem == hw && (r & 1u) != 0u)) { r = r + 1u; }
    return sign | r;
  }
  var r = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u) != 0u)) { r = r + 1u; }
  return sign | r;
}
`;

/** An entry point that runs `value(i)` for elements 2t and 2t+1 and stores them in `out` dtype. */
export function pairMain(out: ComputeDType): string {
  const store = out === 'F32'
    ? `dst[i0] = bitcast<u32>(r0); if (i0 + 1u < n) { dst[i0 + 1u] = bitcast<u32>(r1); }`
    : `dst[t] = enc_${out}(r0) | (enc_${out}(r1) << 16u);`;
  return /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * prm[${PARAM_ROW}] + gid.x;
  let n = prm[${PARAM_N}];
  let i0 = t * 2u;
  if (i0 >= n) { return; }
  let r0 = value(i0);
  var r1: f32 = 0.0;
  if (i0 + 1u < n) { r1 = value(i0 + 1u); }
  ${store}
}
`;
}

/** WGSL expression loading element `i` of input k. */
export function load(k: number, dtype: ComputeDType, i = 'i'): string {
  return `ld_${dtype}(prm[${PARAM_OFFSETS + k}u], ${i})`;
}

/** WGSL float literal from a float32 parameter slot. */
export function param(slot: number): string {
  return `pf(${slot}u)`;
}

/** Sign tests on bits (a compiler may flush subnormals in float compares); valid for non-NaN x. */
export const SIGN_HELPERS = /* wgsl */ `
fn gt0(x: f32) -> bool { let b = bitcast<u32>(x); return b != 0u && b < 0x80000000u; }
fn lt0(x: f32) -> bool { return bitcast<u32>(x) > 0x80000000u; }
fn is_zero(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0u; }
// Subnormals (exponent bits 0) become +0, whether or not this GPU flushes them itself.
fn ftz(x: f32) -> f32 { return select(x, 0.0, (bitcast<u32>(x) & 0x7f800000u) == 0u); }
`;

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
/** float32 bits of a number (the parameter is rounded to float32 exactly as the CPU twin rounds it). */
export function f32bits(x: number): number {
  f32b[0] = x;
  return u32b[0];
}
