/**
 * Inputs as the fused loops read them (packed words and exact tables of the 16-bit kinds) and the
 * block walk the op fast paths share: decode a block of each input to float64, compute it, round and
 * write it once.
 */
import type { ComputeDType } from '../../formats/dtype';
import type { ChunkInput } from '../kernels/common/inputs';
import { BLOCK, D, outBuffer, roundBlock, roundingOf, writeBlock } from './block';
import { bf16Values, f16Values } from './numbers';

/** An input as the loops read it: views over 4-byte-aligned bytes (copied only when misaligned). */
export interface Packed {
  dtype: ComputeDType;
  u16: Uint16Array;
  /** 32-bit words as int32 (V8 keeps int32 in registers; uint32 above 2^31 would go through float64). */
  u32: Int32Array;
  f32: Float32Array;
  /** Exact value of each 16-bit pattern (empty for F32). */
  table: Float64Array;
}

export const EMPTY64 = new Float64Array(0);

export function pack(inp: ChunkInput, n: number): Packed {
  let b = inp.bytes;
  if (b.byteOffset % 4 !== 0) b = b.slice();
  const is32 = inp.dtype === 'F32';
  return {
    dtype: inp.dtype,
    u16: is32 ? new Uint16Array(0) : new Uint16Array(b.buffer, b.byteOffset, n),
    u32: new Int32Array(b.buffer, b.byteOffset, is32 ? n : n >>> 1),
    f32: is32 ? new Float32Array(b.buffer, b.byteOffset, n) : new Float32Array(0),
    table: inp.dtype === 'BF16' ? bf16Values() : inp.dtype === 'F16' ? f16Values() : EMPTY64,
  };
}

/** Decodes m elements of `x` from element st into `o` (exact float64). */
export function decodeBlock(x: Packed, st: number, m: number, o: Float64Array): void {
  if (x.dtype === 'F32') {
    const a = x.f32;
    for (let i = 0; i < m; i++) o[i] = a[st + i];
    return;
  }
  const t = x.table, w = x.u32, h = x.u16;
  const pairs = m >>> 1, w0 = st >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const q = w[w0 + j];
    o[i] = t[q & 0xffff];
    o[i + 1] = t[q >>> 16];
  }
  if (m & 1) o[m - 1] = t[h[st + m - 1]];
}

/** k block-sized float64 scratch arrays. */
export const blockArrays = (k: number) => Array.from({ length: k }, () => new Float64Array(BLOCK));

/** Runs `fill(st, m, out)` per block and encodes each block's float64 values once into the output. */
export function perBlock(xs: Packed[], n: number, outDtype: ComputeDType, fill: (x: Float64Array[], st: number, m: number, out: Float64Array) => void): Uint8Array {
  const out = outBuffer(outDtype, n);
  const { c, lo, hi } = roundingOf(outDtype);
  const x = blockArrays(xs.length);
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    const xm = x.map((a, k) => {
      decodeBlock(xs[k], st, m, a);
      return a.subarray(0, m);
    });
    fill(xm, st, m, D.subarray(0, m));
    writeBlock(out, st, m, roundBlock(m, c, lo, hi));
  }
  return out.bytes;
}

/**
 * perBlock for ops over per-term deltas (TIES, DARE): `delta` writes term j's τ for the block (elements
 * from `st`), `merge` combines the block's τs with weights `w` into `out`.
 */
export function perTermBlock(
  inputs: ChunkInput[], spec: { terms: { w: number }[]; outDtype: ComputeDType }, n: number,
  delta: (x: Float64Array[], j: number, st: number, tau: Float64Array) => void,
  merge: (x: Float64Array[], taus: Float64Array[], w: number[], out: Float64Array) => void,
): Uint8Array {
  const taus = blockArrays(spec.terms.length);
  const w = spec.terms.map((t) => t.w);
  return perBlock(inputs.map((x) => pack(x, n)), n, spec.outDtype, (x, st, m, out) => {
    const tm = taus.map((tau, j) => {
      delta(x, j, st, tau.subarray(0, m));
      return tau.subarray(0, m);
    });
    merge(x, tm, w, out);
  });
}
