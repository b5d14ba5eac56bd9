/**
 * Fast number plumbing for the fused CPU loops: exact decode tables, and rounding a float64 ONCE into
 * F32/BF16/F16 (the rule of kernels/common/f64.ref.ts) without per-element calls.
 *
 * How the loops round (block.ts and the combine loops): Veltkamp's splitting
 * c = v·C, hi = c − (c − v) with C = 2^(53−p) + 1 gives v rounded to nearest, ties to even (binary
 * radix), to p significant bits, in float64 arithmetic. For v in the dtype's normal range that hi is a
 * value of the dtype, so storing it into a Float32Array is exact and the float32 bits give the output
 * bits by a shift (BF16) or a rebias (F16): no double rounding (f64 → f32 → bf16 would be one: a float32
 * landing on a bf16 tie), no data-dependent branches. Values outside the fast range (NaN, ±Inf,
 * subnormal results, overflow; for F16 anything ≥ 65504 or below 2^-14 except ±0) go to a small patch
 * list and are encoded afterwards by bf16FromF64 / f16FromF64 / f32FromF64 below — written differently
 * again (round to float32, then decide a tie by comparing with the float64), so the tests comparing
 * every path with f64.ref.ts mean something.
 */

let bf16Table: Float64Array | null = null;
let f16Table: Float64Array | null = null;

/** All 65536 bfloat16 values as float64 (exact), built once. */
export function bf16Values(): Float64Array {
  if (!bf16Table) {
    const u = new Uint32Array(1);
    const f = new Float32Array(u.buffer);
    bf16Table = new Float64Array(65536);
    for (let i = 0; i < 65536; i++) {
      u[0] = i << 16;
      bf16Table[i] = f[0];
    }
  }
  return bf16Table;
}

/** All 65536 IEEE half values as float64 (exact), built once by integer fields. */
export function f16Values(): Float64Array {
  if (!f16Table) {
    f16Table = new Float64Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      f16Table[h] = e === 0 ? s * m * 5.960464477539063e-8 : e === 31 ? (m ? NaN : s * Infinity) : s * (1024 + m) * 2 ** (e - 25);
    }
  }
  return f16Table;
}

const one32 = new Float32Array(1);
const one32Bits = new Uint32Array(one32.buffer);

/** bf16 bits of v, rounded once; the slow path of encodeBlockBF16 (and its tests). */
export function bf16FromF64(v: number): number {
  if (v !== v) return 0x7fc0;
  one32[0] = v;
  const b = one32Bits[0];
  if ((b & 0x7f800000) === 0x7f800000) return b >>> 16; // ±Inf (v itself, or beyond float32's range: bf16 overflows too)
  if ((b & 0xffff) !== 0x8000) return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  // float32 is exactly on a bf16 tie: the float64 decides.
  const f = one32[0];
  const down = b >>> 16;
  if (f === v) return down + (down & 1); // a true tie: to even (a carry into the exponent is right)
  return Math.abs(f) > Math.abs(v) ? down : down + 1; // float32 went up → v is below the tie
}

/** f16 bits of v, rounded once; the slow path of encodeBlockF16 (and its tests). */
export function f16FromF64(v: number): number {
  if (v !== v) return 0x7e00;
  one32[0] = v;
  const b = one32Bits[0];
  const f = one32[0];
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a >= 0x47800000) return sign | 0x7c00; // ≥ 2^16 (or Inf): past every half
  let r: number, rem: number, half: number;
  if (a >= 0x38800000) {
    // normal half (up to 65520, whose tie goes to Inf by the carry): drop 13 bits of the significand
    const t = a - 0x38000000;
    r = t >>> 13;
    rem = t & 0x1fff;
    half = 0x1000;
  } else {
    // subnormal half (multiples of 2^-24) or zero: shift the whole float32 significand
    const e = a >>> 23;
    if (e < 102) return sign; // |f| < 2^-25, so |v| < 2^-25: rounds to zero
    const m = (a & 0x7fffff) | 0x800000;
    const shift = 126 - e; // 14..24
    r = m >>> shift;
    rem = m & ((1 << shift) - 1);
    half = 1 << (shift - 1);
  }
  if (rem > half) r += 1;
  else if (rem === half) {
    // float32 is exactly on a half tie: the float64 decides
    if (f === v) r += r & 1;
    else if (Math.abs(f) < Math.abs(v)) r += 1;
  }
  return sign | r;
}


/** F32 bits of v rounded once (a Float32Array store is IEEE round-to-nearest-even); NaN canonical. */
export function f32FromF64(v: number): number {
  if (v !== v) return 0x7fc00000;
  one32[0] = v;
  return one32Bits[0];
}

/** Round-to-p-bits constants and the fast range [lo, hi) of |v| (plus ±0) per output dtype. */
export interface Rounding {
  /** Veltkamp constant 2^(53−p) + 1. */
  c: number;
  lo: number;
  hi: number;
}
export const ROUNDING = {
  // F32: c = 1 makes hi = v, and the Float32Array store is itself the one rounding (subnormals too).
  F32: { c: 1, lo: 0, hi: Infinity },
  BF16: { c: 2 ** 45 + 1, lo: 2 ** -126, hi: 2 ** 127 },
  F16: { c: 2 ** 42 + 1, lo: 2 ** -14, hi: 65504 },
} as const satisfies Record<string, Rounding>;

/** BF16 words from a block of float32 values that are bf16 values (S32 their bits): pairs, low first. */
export function extractBF16(S32: Int32Array, m: number, O32: Int32Array, O16: Uint16Array, w0: number): void {
  const pairs = m >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) O32[w0 + j] = (S32[i] >>> 16) | (S32[i + 1] & 0xffff0000);
  if (m & 1) O16[w0 * 2 + m - 1] = S32[m - 1] >>> 16;
}

/** F16 words from a block of float32 values that are normal halves or ±0 (S32 their bits); others are patched after. */
export function extractF16(S32: Int32Array, m: number, O32: Int32Array, O16: Uint16Array, w0: number): void {
  const pairs = m >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const p = S32[i], q = S32[i + 1];
    const x = p & 0x7fffffff, y = q & 0x7fffffff;
    const hp = ((p >>> 16) & 0x8000) | (x === 0 ? 0 : (x >>> 13) - 0x1c000);
    const hq = ((q >>> 16) & 0x8000) | (y === 0 ? 0 : (y >>> 13) - 0x1c000);
    O32[w0 + j] = (hp & 0xffff) | (hq << 16); // a patched element's garbage must not spill into its neighbour
  }
  if (m & 1) {
    const p = S32[m - 1], x = p & 0x7fffffff;
    O16[w0 * 2 + m - 1] = ((p >>> 16) & 0x8000) | (x === 0 ? 0 : (x >>> 13) - 0x1c000);
  }
}

/*
 * The checked extractions: as above, and also judge from the bits whether every value was in the fast
 * range, without branches (int32 arithmetic; a negative flag means "no"). BF16: the float32 exponent
 * field must be 1..254, or the value ±0 (a zero float32 here means |v| < 2^-149, whose bf16 is ±0 too).
 * F16: |bits| in [2^-14, 65504) or ±0. F32: not NaN (the store was the rounding; NaN must be canonical).
 */
export function extractBF16Checked(S32: Int32Array, m: number, O32: Int32Array, O16: Uint16Array, w0: number): boolean {
  const pairs = m >>> 1;
  let flag = 0;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const p = S32[i], q = S32[i + 1];
    const x = p & 0x7fffffff, y = q & 0x7fffffff;
    flag |= ((x + 0x00800000) | ((x - 0x00800000) & -x)) | ((y + 0x00800000) | ((y - 0x00800000) & -y));
    O32[w0 + j] = (p >>> 16) | (q & 0xffff0000);
  }
  if (m & 1) {
    const p = S32[m - 1], x = p & 0x7fffffff;
    flag |= (x + 0x00800000) | ((x - 0x00800000) & -x);
    O16[w0 * 2 + m - 1] = p >>> 16;
  }
  return flag >= 0;
}

export function extractF16Checked(S32: Int32Array, m: number, O32: Int32Array, O16: Uint16Array, w0: number): boolean {
  const pairs = m >>> 1;
  let flag = 0;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const p = S32[i], q = S32[i + 1];
    const x = p & 0x7fffffff, y = q & 0x7fffffff;
    const dx = x - 0x38800000, dy = y - 0x38800000;
    flag |= ((dx | ~(dx - 0x0effe000)) & -x) | ((dy | ~(dy - 0x0effe000)) & -y);
    // ((−x) >> 31) is all ones unless x = 0, so ±0 keeps only its sign
    O32[w0 + j] = (((p >>> 16) & 0x8000) | (((x >>> 13) - 0x1c000) & ((-x) >> 31) & 0x7fff)) | ((((q >>> 16) & 0x8000) | (((y >>> 13) - 0x1c000) & ((-y) >> 31))) << 16);
  }
  if (m & 1) {
    const p = S32[m - 1], x = p & 0x7fffffff, dx = x - 0x38800000;
    flag |= (dx | ~(dx - 0x0effe000)) & -x;
    O16[w0 * 2 + m - 1] = ((p >>> 16) & 0x8000) | (((x >>> 13) - 0x1c000) & ((-x) >> 31) & 0x7fff);
  }
  return flag >= 0;
}

export function extractF32Checked(S32: Int32Array, m: number, O32: Int32Array, st: number): boolean {
  let flag = 0;
  for (let i = 0; i < m; i++) {
    const b = S32[i];
    flag |= 0x7f800000 - (b & 0x7fffffff); // negative only for NaN
    O32[st + i] = b;
  }
  return flag >= 0;
}
