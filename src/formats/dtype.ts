/**
 * Dtypes as safetensors spells them, their sizes, and exact conversions to and from float32.
 * This file is the CPU truth for number formats: kernels and readers are tested against it.
 * Conversions never build a typed-array view at an unaligned offset (safetensors data need not be aligned).
 */
export const DTYPES = [
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16',
  'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'F4', 'F6_E2M3', 'F6_E3M2',
] as const;
export type DType = (typeof DTYPES)[number];

/** Size in bits of one element (sub-byte kinds are packed). */
export const DTYPE_BITS: Record<DType, number> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, F64: 64, I64: 64, U64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

/** Bytes per element for byte-sized kinds; throws for packed sub-byte kinds. */
export function dtypeSize(d: DType): number {
  const b = DTYPE_BITS[d];
  if (b % 8 !== 0) throw new Error(`${d} is a packed sub-byte dtype`);
  return b / 8;
}

/** Byte length of `numel` elements, or null when a packed kind does not end on a byte boundary. */
export function byteLengthOf(d: DType, numel: number): number | null {
  const bits = DTYPE_BITS[d] * numel;
  if (!Number.isSafeInteger(bits)) return null;
  return bits % 8 === 0 ? bits / 8 : null;
}

/** Floating kinds: the ones merges change. Integer and bool tensors pass through untouched. */
export function isFloatDType(d: DType): boolean {
  return d.startsWith('F') || d === 'BF16';
}

/** The three kinds the compute kernels read and write directly (packed into u32 words). */
export type ComputeDType = 'F32' | 'F16' | 'BF16';
export function isComputeDType(d: DType): d is ComputeDType {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Product of a shape, or null when it overflows a safe integer (hostile headers). */
export function numelOf(shape: readonly number[]): number | null {
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0) return null;
    n *= s;
    if (!Number.isSafeInteger(n)) return null;
  }
  return n;
}

// ---------- scalar bit conversions ----------
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

export function f32ToBits(x: number): number {
  f32buf[0] = x;
  return u32buf[0];
}
export function bitsToF32(b: number): number {
  u32buf[0] = b >>> 0;
  return f32buf[0];
}

/** IEEE half bits to number (exact). */
export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 value to IEEE half bits, round to nearest even; overflow gives ±Inf, NaN stays NaN. */
export function f32ToF16Bits(x: number): number {
  const b = f32ToBits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  // Unbiased exponent for half.
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full significand; round to nearest even.
    if (e < -10) return sign; // below half of the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e; // 24-bit significand -> 10-bit subnormal field
    const half = 1 << (shift - 1);
    const rem = mant & ((1 << shift) - 1);
    let r = mant >>> shift;
    if (rem > half || (rem === half && (r & 1))) r += 1;
    return sign | r; // r may carry into the exponent field: that is the correct smallest normal
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r += 1; // may carry into Inf: correct overflow
  return sign | r;
}

/** float32 value to bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16Bits(x: number): number {
  const b = f32ToBits(x);
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  return bitsToF32((h & 0xffff) << 16);
}

/** OCP FP8 E4M3 (the "fn" variant torch uses): bias 7, no infinities, S.1111.111 is NaN. */
export function e4m3ToF32(v: number): number {
  const s = v & 0x80 ? -1 : 1;
  const e = (v >> 3) & 0xf;
  const m = v & 7;
  if (e === 15 && m === 7) return NaN;
  if (e === 0) return s * m * 2 ** -9;
  return s * (1 + m / 8) * 2 ** (e - 7);
}

/** FP8 E5M2: the top byte of an IEEE half. */
export function e5m2ToF32(v: number): number {
  return f16BitsToF32((v & 0xff) << 8);
}

/** FP8 E8M0 (MX scale): 2^(e-127), 0xFF is NaN. */
export function e8m0ToF32(v: number): number {
  return v === 0xff ? NaN : 2 ** (v - 127);
}

/** FP4 E2M1 value of one nibble. */
export function e2m1ToF32(n: number): number {
  const s = n & 8 ? -1 : 1;
  const e = (n >> 1) & 3;
  const m = n & 1;
  return e === 0 ? s * m * 0.5 : s * (1 + m / 2) * 2 ** (e - 1);
}

let f16Table: Float32Array | null = null;
/** All 65536 half values, built once: decoding is then a table lookup. */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16BitsToF32(i);
  }
  return f16Table;
}

/** Copies bytes to a fresh aligned buffer when a typed view at their offset would be misaligned. */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  if (bytes.byteOffset % align === 0) return bytes;
  return bytes.slice();
}

/**
 * Decodes little-endian elements of `dtype` into float32 (integers convert by value, bools to 0/1).
 * `out` may be given to avoid an allocation; it must hold the element count.
 */
export function decodeToF32(dtype: DType, bytes: Uint8Array, out?: Float32Array): Float32Array {
  const bits = DTYPE_BITS[dtype];
  const n = Math.floor((bytes.byteLength * 8) / bits);
  const o = out ?? new Float32Array(n);
  switch (dtype) {
    case 'F32': {
      const a = aligned(bytes, 4);
      o.set(new Float32Array(a.buffer, a.byteOffset, n));
      break;
    }
    case 'BF16': {
      const a = aligned(bytes, 2);
      const u16 = new Uint16Array(a.buffer, a.byteOffset, n);
      const o32 = new Uint32Array(o.buffer, o.byteOffset, n);
      for (let i = 0; i < n; i++) o32[i] = u16[i] << 16;
      break;
    }
    case 'F16': {
      const a = aligned(bytes, 2);
      const u16 = new Uint16Array(a.buffer, a.byteOffset, n);
      const t = halfTable();
      for (let i = 0; i < n; i++) o[i] = t[u16[i]];
      break;
    }
    case 'F64': {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) o[i] = dv.getFloat64(i * 8, true);
      break;
    }
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) o[i] = e4m3ToF32(bytes[i]);
      break;
    case 'F8_E5M2':
      for (let i = 0; i < n; i++) o[i] = e5m2ToF32(bytes[i]);
      break;
    case 'F8_E8M0':
      for (let i = 0; i < n; i++) o[i] = e8m0ToF32(bytes[i]);
      break;
    case 'F4':
      // Two values a byte, the first in the low nibble (the layout torch's float4_e2m1fn_x2 uses).
      for (let i = 0; i < n; i++) o[i] = e2m1ToF32((bytes[i >> 1] >> ((i & 1) * 4)) & 0xf);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) o[i] = bytes[i] ? 1 : 0;
      break;
    case 'U8':
      for (let i = 0; i < n; i++) o[i] = bytes[i];
      break;
    case 'I8':
      for (let i = 0; i < n; i++) o[i] = (bytes[i] << 24) >> 24;
      break;
    default: {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      switch (dtype) {
        case 'I16': for (let i = 0; i < n; i++) o[i] = dv.getInt16(i * 2, true); break;
        case 'U16': for (let i = 0; i < n; i++) o[i] = dv.getUint16(i * 2, true); break;
        case 'I32': for (let i = 0; i < n; i++) o[i] = dv.getInt32(i * 4, true); break;
        case 'U32': for (let i = 0; i < n; i++) o[i] = dv.getUint32(i * 4, true); break;
        case 'I64': for (let i = 0; i < n; i++) o[i] = Number(dv.getBigInt64(i * 8, true)); break;
        case 'U64': for (let i = 0; i < n; i++) o[i] = Number(dv.getBigUint64(i * 8, true)); break;
        default: throw new Error(`decoding ${dtype} to float32 is not supported`);
      }
    }
  }
  return o;
}

/** Encodes float32 values to F32, F16 or BF16 little-endian bytes, rounding to nearest even. */
export function encodeFromF32(dtype: ComputeDType, values: Float32Array): Uint8Array {
  const n = values.length;
  if (dtype === 'F32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + n * 4));
  const out = new Uint16Array(n);
  if (dtype === 'BF16') {
    const u32 = new Uint32Array(values.buffer, values.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const b = u32[i];
      out[i] = (b & 0x7f800000) === 0x7f800000 && b & 0x7fffff ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = f32ToF16Bits(values[i]);
  }
  return new Uint8Array(out.buffer);
}
