/**
 * The number semantics every kernel shares (the reference: plain, per element, no speed tricks; the
 * fused CPU loops (kernels/<op>/<op>.cpu.ts) and the WGSL must produce the same bits).
 *
 * 1. DECODE: F32, F16 and BF16 words are decoded EXACTLY (every such value is a float64), subnormals
 *    included. NaN inputs are NaN (payload irrelevant), ±Inf are ±Inf, −0 is −0.
 * 2. COMPUTE: each kernel's formula (see <op>.ref.ts) is evaluated in float64 in the order written
 *    there, weights/scales/λ as given (float64, NOT rounded to float32). A float64 step is off the exact
 *    value by ≤ 2^-53 relative, so the rounded output equals the exact result rounded once except when
 *    the exact result sits within ~2^-50 of a rounding boundary of the output dtype (≤ 1 ulp, and
 *    for random data about 1 element in 2^26 for F32 outputs). Engines with ~48-bit arithmetic
 *    (double-float f32 pairs) meet the same "≤ 1 ulp, ≥ 99.9% bit-exact" rule against this reference.
 * 3. ROUND ONCE to the output dtype (roundToDType / dtypeBits below), round to nearest, ties to even,
 *    DIRECTLY from the float64 value — never float64 → float32 → bf16/f16, which is a double rounding:
 *      v = 1 + 2^-8 + 2^-30: f32(v) = 1 + 2^-8 is a bf16 tie and goes to 1.0 (0x3F80), but v is above the
 *      tie, so the correct bf16 is 1 + 2^-7 (0x3F81). Fix used by the fused path: round to f32; when the
 *      f32 lands exactly on a bf16/f16 tie, compare it with v (f32 > |v| → round down, < → up, = → even).
 *    - significand bits: F32 24, BF16 8, F16 11; subnormal grid: F32 2^-149, BF16 2^-133, F16 2^-24.
 *    - overflow: |v| that rounds to ≥ 2^(emax+1) is ±Inf (F16: |v| ≥ 65520; BF16: ≥ (2 − 2^-8)·2^127;
 *      F32: ≥ (2 − 2^-24)·2^127). ±Inf stays ±Inf.
 *    - tiny results round to ±0 keeping the sign; a zero keeps its IEEE sign (−0 only from −0 + −0 or
 *      a negative product/quotient underflowing, as float64 gives it; engines whose arithmetic does
 *      not track the sign of zero may differ there: compare ±0 as equal).
 *    - NaN (any sign/payload) is written as the canonical positive quiet NaN: F32 0x7FC00000,
 *      BF16 0x7FC0, F16 0x7E00, so outputs repeat bit for bit.
 * 4. SUBNORMALS are exact on the CPU, as in the float64 PyTorch reference. An engine that flushes
 *    float32 subnormals differs only where an input or the result is below 2^-126 in magnitude.
 *    Decisions that must not hinge on that (TIES trim/sign/agreement, stats counts) flush |v| < 2^-126
 *    to 0 explicitly; see ties.ref.ts and stats.ref.ts.
 */
import type { ComputeDType } from '../../../formats/dtype';
import { f16BitsToF32, f32ToF16Bits } from '../../../formats/dtype';

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Word = new Uint32Array(f32.buffer);

/** Unbiased binary exponent of a finite non-zero double (floor(log2 |v|)), from its bits. */
function exponentOf(v: number): number {
  f64[0] = v;
  const e = (f64Words[1] >>> 20) & 0x7ff;
  return e === 0 ? -1023 : e - 1023; // float64 subnormals are far below every output grid
}

/** 2^k for −1022 ≤ k ≤ 1023, built from bits (no reliance on Math.pow being exact). */
function pow2(k: number): number {
  f64Words[0] = 0;
  f64Words[1] = (k + 1023) << 20;
  return f64[0];
}

/** 1.5·2^52: adding and subtracting it rounds |y| < 2^51 to an integer, ties to even (float64's own rounding). */
const ROUND_INT = 6755399441055744;

const FORMAT = {
  F32: { p: 24, emin: -126, emax: 127 },
  BF16: { p: 8, emin: -126, emax: 127 },
  F16: { p: 11, emin: -14, emax: 15 },
} as const;

/** v rounded once to the dtype's value set (a float64 holding it exactly); NaN stays NaN. */
export function roundToDType(v: number, dtype: ComputeDType): number {
  if (v !== v || v === 0 || v === Infinity || v === -Infinity) return v;
  const { p, emin, emax } = FORMAT[dtype];
  const q = Math.max(exponentOf(v), emin) - (p - 1); // exponent of one ulp at v
  const y = v * pow2(-q); // exact: a power-of-two scale of a normal double
  const r = (y + ROUND_INT - ROUND_INT) * pow2(q);
  if (Math.abs(r) >= pow2(emax + 1)) return r > 0 ? Infinity : -Infinity;
  return r === 0 ? (v < 0 ? -0 : 0) : r;
}

export const CANONICAL_NAN_BITS: Record<ComputeDType, number> = { F32: 0x7fc00000, BF16: 0x7fc0, F16: 0x7e00 };

/** Output bits of v in `dtype` (rounded once; NaN canonical). */
export function dtypeBits(v: number, dtype: ComputeDType): number {
  if (v !== v) return CANONICAL_NAN_BITS[dtype];
  const r = roundToDType(v, dtype); // exactly representable in the dtype, hence in float32
  if (dtype === 'F16') return f32ToF16Bits(r); // exact conversion: no rounding happens here
  f32[0] = r;
  return dtype === 'F32' ? f32Word[0] : f32Word[0] >>> 16;
}

/** Exact value of one element's bits. */
export function valueOfBits(bits: number, dtype: ComputeDType): number {
  if (dtype === 'F16') return f16BitsToF32(bits & 0xffff);
  f32Word[0] = dtype === 'BF16' ? (bits & 0xffff) << 16 : bits >>> 0;
  return f32[0];
}

/** Decodes little-endian F32/F16/BF16 elements exactly into `out` (length = element count). */
export function decodeF64(dtype: ComputeDType, bytes: Uint8Array, out: Float64Array): Float64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  for (let i = 0; i < n; i++) {
    out[i] = dtype === 'F32' ? dv.getFloat32(i * 4, true) : valueOfBits(dv.getUint16(i * 2, true), dtype);
  }
  return out;
}

/** Encodes float64 results into `dtype` bytes, each rounded once (dtypeBits). */
export function encodeF64(dtype: ComputeDType, values: Float64Array): Uint8Array {
  const size = dtype === 'F32' ? 4 : 2;
  const out = new Uint8Array(values.length * size);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const b = dtypeBits(values[i], dtype);
    if (size === 4) dv.setUint32(i * 4, b, true);
    else dv.setUint16(i * 2, b, true);
  }
  return out;
}
