/** Seeded test chunks: weight-like words of F32/F16/BF16 with edge patterns mixed in, and near copies that cancel. */
import type { ChunkInput } from '../../../src/compute/engine';
import type { ComputeDType } from '../../../src/formats/dtype';
import { bf16FromF64, f16FromF64, f32FromF64 } from '../../../src/compute/fused/numbers';

/** A linear congruential generator in [0, 1): the same numbers on every run. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export const SIZE: Record<ComputeDType, number> = { F32: 4, F16: 2, BF16: 2 };

/** NaN, −NaN, ±Inf, ±0, subnormals, smallest normals, largest finite (and below) and a value just above 1, per dtype. */
export const EDGES: Record<ComputeDType, number[]> = {
  F32: [0x7fc00000, 0xffc00001, 0x7f800000, 0xff800000, 0, 0x80000000, 1, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f808000],
  BF16: [0x7fc0, 0xff81, 0x7f80, 0xff80, 0, 0x8000, 1, 0x807f, 0x0080, 0x8080, 0x0081, 0x7f7f, 0xff7f, 0x3f81],
  F16: [0x7e00, 0xfc01, 0x7c00, 0xfc00, 0, 0x8000, 1, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c01, 0x7bfe],
};

export function bitsOf(d: ComputeDType, v: number): number {
  return d === 'F32' ? f32FromF64(v) : d === 'BF16' ? bf16FromF64(v) : f16FromF64(v);
}

function setWord(dv: DataView, d: ComputeDType, i: number, bits: number): void {
  if (d === 'F32') dv.setUint32(i * 4, bits >>> 0, true);
  else dv.setUint16(i * 2, bits & 0xffff, true);
}

/** Values around ±0.05 (one in ten a hundred times larger); with `edgeRate`, that share of EDGES patterns. */
export function randomChunk(rnd: () => number, d: ComputeDType, n: number, edgeRate = 0): ChunkInput {
  const bytes = new Uint8Array(n * SIZE[d]);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const bits = edgeRate > 0 && rnd() < edgeRate
      ? EDGES[d][Math.floor(rnd() * EDGES[d].length)]
      : bitsOf(d, (rnd() - 0.5) * 0.1 * (rnd() < 0.1 ? 100 : 1));
    setWord(dv, d, i, bits);
  }
  return { bytes, dtype: d };
}

/** A copy of `x` nudged up to `ulps` ulps per element, so differences cancel and land on ties. */
export function nearChunk(rnd: () => number, x: ChunkInput, ulps = 3): ChunkInput {
  const bytes = x.bytes.slice();
  const dv = new DataView(bytes.buffer);
  const n = bytes.length / SIZE[x.dtype];
  for (let i = 0; i < n; i++) {
    const step = Math.floor(rnd() * (2 * ulps + 1)) - ulps;
    if (x.dtype === 'F32') dv.setUint32(i * 4, (dv.getUint32(i * 4, true) + step) >>> 0, true);
    else dv.setUint16(i * 2, (dv.getUint16(i * 2, true) + step) & 0xffff, true);
  }
  return { bytes, dtype: x.dtype };
}

/** Bytes equal, or where they first differ. */
export function firstDiff(a: Uint8Array, b: Uint8Array): string | null {
  if (a.byteLength !== b.byteLength) return `lengths ${a.byteLength} vs ${b.byteLength}`;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}
