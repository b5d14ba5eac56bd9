/**
 * Fast number plumbing for the fused CPU loops: exact decode tables and block encoders that round a
 * block of float64 values ONCE into F32/BF16/F16 (the rule of kernels/common/f64.ref.ts).
 *
 * Encoding a block goes through float32: the compute loop stores each value both as float64 (D) and
 * into a Float32Array (S, whose store is the correctly rounded float32). The bf16/f16 bits then come
 * from S's bits with integer round-to-nearest-even, which equals rounding the float64 directly except
 * when the float32 sits exactly on a bf16/f16 tie (a double rounding) — those, and NaN/Inf, f16
 * subnormals and f16 overflow, take a slow per-element path that reads D and decides the tie by
 * which way the float32 rounding went. That path is written differently from the reference
 * (f64.ref.ts scales and rounds with a magic constant) so tests comparing the two mean something.
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

/**
 * Encodes m = D.length… values of one block into bf16 words: S32 holds the float32 bits of the same
 * values (S[i] = D[i] stores), O32 receives pairs (low half first) from word `w0`; an odd m writes its
 * last element into O16 at `w0 * 2 + m - 1`.
 */
export function encodeBlockBF16(D: Float64Array, S32: Uint32Array, m: number, O32: Uint32Array, O16: Uint16Array, w0: number): void {
  const pairs = m >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    let p = S32[i];
    let q = S32[i + 1];
    if ((p & 0xffff) === 0x8000 || (p & 0x7f800000) === 0x7f800000) p = bf16FromF64(D[i]);
    else p = (p + 0x7fff + ((p >>> 16) & 1)) >>> 16;
    if ((q & 0xffff) === 0x8000 || (q & 0x7f800000) === 0x7f800000) q = bf16FromF64(D[i + 1]);
    else q = (q + 0x7fff + ((q >>> 16) & 1)) >>> 16;
    O32[w0 + j] = p | (q << 16);
  }
  if (m & 1) O16[w0 * 2 + m - 1] = bf16FromF64(D[m - 1]);
}

/** As encodeBlockBF16 for IEEE half: the fast path covers normal halves that are not float32 ties. */
export function encodeBlockF16(D: Float64Array, S32: Uint32Array, m: number, O32: Uint32Array, O16: Uint16Array, w0: number): void {
  const pairs = m >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    let p = S32[i];
    let q = S32[i + 1];
    let a = (p & 0x7fffffff) - 0x38800000; // ≥ 0 from the smallest normal half
    if (a < 0 || a >= 0x0effe000 || (p & 0x1fff) === 0x1000) p = f16FromF64(D[i]); // fast range: [2^-14, 65504)
    else {
      const t = a + 0x00800000;
      p = ((p >>> 16) & 0x8000) | ((t + 0xfff + ((t >>> 13) & 1)) >>> 13);
    }
    a = (q & 0x7fffffff) - 0x38800000;
    if (a < 0 || a >= 0x0effe000 || (q & 0x1fff) === 0x1000) q = f16FromF64(D[i + 1]);
    else {
      const t = a + 0x00800000;
      q = ((q >>> 16) & 0x8000) | ((t + 0xfff + ((t >>> 13) & 1)) >>> 13);
    }
    O32[w0 + j] = p | (q << 16);
  }
  if (m & 1) O16[w0 * 2 + m - 1] = f16FromF64(D[m - 1]);
}
