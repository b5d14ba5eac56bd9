/**
 * The block machinery shared by the fused loops: block-sized scratch (stays in L1), the rounding
 * pass over a block of float64 values, the patch list of out-of-fast-range elements, and writing a
 * finished block into the output words. See numbers.ts for how the rounding works.
 */
import type { ComputeDType } from '../../formats/dtype';
import { ROUNDING, bf16FromF64, extractBF16, extractBF16Checked, extractF16, extractF16Checked, extractF32Checked, f16FromF64, f32FromF64 } from './numbers';

export const BLOCK = 2048;

/** float64 values of the current block (filled by the generic path and the reference kernels). */
export const D = new Float64Array(BLOCK);
/** The block rounded to the output's precision, as float32 (bits in S32). */
export const S = new Float32Array(BLOCK);
export const S32 = new Int32Array(S.buffer);
/** Patch list: block index and float64 value of elements outside the fast range. */
export const PATCH_AT = new Int32Array(BLOCK);
export const PATCH_V = new Float64Array(BLOCK);

/** Output bytes for n elements of `dtype` on a word-aligned buffer, with the views the writers use. */
export interface OutBuffer {
  dtype: ComputeDType;
  bytes: Uint8Array;
  u32: Int32Array;
  u16: Uint16Array;
}
export function outBuffer(dtype: ComputeDType, n: number): OutBuffer {
  const size = dtype === 'F32' ? 4 : 2;
  const buf = new ArrayBuffer(Math.ceil((n * size) / 4) * 4);
  return { dtype, bytes: new Uint8Array(buf, 0, n * size), u32: new Int32Array(buf), u16: new Uint16Array(buf) };
}

/** Rounds D[0..m) into S, patching out-of-range elements; returns the patch count. */
export function roundBlock(m: number, c: number, lo: number, hi: number): number {
  const d = D, f = S, at = PATCH_AT, pv = PATCH_V;
  let np = 0;
  for (let i = 0; i < m; i++) {
    const v = d[i];
    const k = v * c;
    f[i] = k - (k - v);
    const a = Math.abs(v);
    if (!(a < hi && (a >= lo || a === 0))) {
      at[np] = i;
      pv[np++] = v;
    }
  }
  return np;
}

/** Writes block S (m elements from element st) and its np patches into the output. */
export function writeBlock(out: OutBuffer, st: number, m: number, np: number): void {
  const at = PATCH_AT, pv = PATCH_V;
  if (out.dtype === 'BF16') {
    extractBF16(S32, m, out.u32, out.u16, st >>> 1);
    for (let k = 0; k < np; k++) out.u16[st + at[k]] = bf16FromF64(pv[k]);
  } else if (out.dtype === 'F16') {
    extractF16(S32, m, out.u32, out.u16, st >>> 1);
    for (let k = 0; k < np; k++) out.u16[st + at[k]] = f16FromF64(pv[k]);
  } else {
    out.u32.set(S32.subarray(0, m), st);
    for (let k = 0; k < np; k++) out.u32[st + at[k]] = f32FromF64(pv[k]);
  }
}

export function roundingOf(dtype: ComputeDType): { c: number; lo: number; hi: number } {
  return ROUNDING[dtype];
}

/**
 * Writes block S (already rounded to the output's precision, no patch list) if every value is in
 * the fast range, judged from the float32 bits; returns false (output words of the block unspecified)
 * when some value is not, so the caller redoes the block with roundBlock's patch list.
 */
export function writeFastBlock(out: OutBuffer, st: number, m: number): boolean {
  if (out.dtype === 'BF16') return extractBF16Checked(S32, m, out.u32, out.u16, st >>> 1);
  if (out.dtype === 'F16') return extractF16Checked(S32, m, out.u32, out.u16, st >>> 1);
  return extractF32Checked(S32, m, out.u32, st);
}
