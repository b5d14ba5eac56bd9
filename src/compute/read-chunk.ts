/**
 * Elements [first, first + count) of a checkpoint tensor as an engine input chunk. The engines read
 * F32, F16 and BF16 words as stored; other float kinds (F64, F8, F4 …) are decoded to F32 first.
 * Shared by the merge executor and the statistics pass.
 */
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
import { dtypeSize, isComputeDType } from '../formats/dtype';
import type { ChunkInput } from './engine';

export async function readChunk(e: TensorEntry, first: number, count: number): Promise<ChunkInput> {
  if (isComputeDType(e.dtype)) {
    const size = dtypeSize(e.dtype);
    return { bytes: await e.read(first * size, count * size), dtype: e.dtype };
  }
  const f = await readTensorF32(e, first, count);
  return { bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength), dtype: 'F32' };
}
