import type { DType } from './dtype';
import { decodeToF32, DTYPE_BITS, numelOf } from './dtype';

/**
 * One tensor of a checkpoint: its header facts plus a lazy reader. Nothing here holds tensor data;
 * `read` fetches the contiguous little-endian row-major bytes (gathering strided views, decompressing
 * zip members) only when asked, and a range of them when the executor works in chunks.
 */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Bytes of the contiguous tensor (numel × element size). */
  byteLength: number;
  /** The file that holds the bytes, for messages. */
  file: string;
  /** Reads bytes [start, start + length) of the contiguous tensor; defaults to all of it. */
  read(start?: number, length?: number): Promise<Uint8Array>;
}

/** A checkpoint as one reader opened it; F is its format id (registry.ts's FormatId once opened through the registry). */
export interface Checkpoint<F extends string = string> {
  /** Display name: the file, the folder, or the index file's stem. */
  name: string;
  format: F;
  /** Every file the checkpoint was read from, in order (index first when sharded). */
  files: string[];
  sharded: boolean;
  /** Tensors in file order (the order an export keeps). */
  tensors: TensorEntry[];
  /** `__metadata__` of safetensors, or the equivalent facts of other formats (string → string). */
  metadata: Record<string, string>;
  /** Total size of the files on disk. */
  fileBytes: number;
}

export function numel(t: Pick<TensorEntry, 'shape'>): number {
  return numelOf(t.shape) ?? NaN;
}

export function parameterCount(ck: Checkpoint): number {
  let n = 0;
  for (const t of ck.tensors) n += numel(t);
  return n;
}

/** Tensor bytes by dtype, e.g. {BF16: 1.4e10, F32: 2.1e6}. */
export function dtypeMix(ck: Checkpoint): Partial<Record<DType, { tensors: number; bytes: number }>> {
  const mix: Partial<Record<DType, { tensors: number; bytes: number }>> = {};
  for (const t of ck.tensors) {
    const m = (mix[t.dtype] ??= { tensors: 0, bytes: 0 });
    m.tensors += 1;
    m.bytes += t.byteLength;
  }
  return mix;
}

/** Decodes elements [first, first + count) of a tensor to float32 (all of them by default). */
export async function readTensorF32(t: TensorEntry, first = 0, count?: number): Promise<Float32Array> {
  const bits = DTYPE_BITS[t.dtype];
  const n = count ?? numel(t) - first;
  if (bits % 8 !== 0) {
    // Packed sub-byte kinds: read whole bytes around the range, then cut.
    const startBit = first * bits;
    const b0 = Math.floor(startBit / 8);
    const b1 = Math.ceil(((first + n) * bits) / 8);
    const bytes = await t.read(b0, b1 - b0);
    const all = decodeToF32(t.dtype, bytes);
    const skip = (startBit - b0 * 8) / bits;
    return all.slice(skip, skip + n);
  }
  const size = bits / 8;
  return decodeToF32(t.dtype, await t.read(first * size, n * size));
}
