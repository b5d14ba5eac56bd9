/**
 * A safetensors decoder written for the tests, separately from src/formats (plain JSON.parse and
 * Buffer reads), for fixtures that have no golden values of their own: the merge and statistics
 * inputs and outputs. Covers the dtypes those hold (F32, F16, BF16, I64).
 */
import { readFileSync } from 'node:fs';

export interface DecodedTensor {
  dtype: string;
  shape: number[];
  /** Every element as a float64 (I64 through Number; the app's float32 view is Math.fround of these). */
  values: number[];
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const READ: Record<string, [number, (b: Buffer, at: number) => number]> = {
  F32: [4, (b, at) => b.readFloatLE(at)],
  F16: [2, (b, at) => half(b.readUInt16LE(at))],
  BF16: [2, (b, at) => {
    const f = Buffer.alloc(4);
    f.writeUInt32LE((b.readUInt16LE(at) << 16) >>> 0);
    return f.readFloatLE(0);
  }],
  I64: [8, (b, at) => Number(b.readBigInt64LE(at))],
};

/** Tensors of one file in header order, and its `__metadata__`. */
export function decodeSafetensorsFile(path: string): { tensors: Map<string, DecodedTensor>; metadata: Record<string, string> } {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, any>;
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, DecodedTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [size, read] = READ[info.dtype];
    if (!read) throw new Error(`${path}: the test decoder has no ${info.dtype}`);
    const [s, e] = info.data_offsets as [number, number];
    const values: number[] = [];
    for (let at = s; at < e; at += size) values.push(read(data, at));
    tensors.set(name, { dtype: info.dtype, shape: info.shape, values });
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
