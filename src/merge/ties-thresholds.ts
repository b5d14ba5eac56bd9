/**
 * TIES keeps each task vector's top-k entries of a whole tensor, so before a tensor's first chunk is
 * merged its thresholds (the k-th largest |τ_j| per term) must be known: from the first chunk when it
 * holds the whole tensor, else from a streaming pass over the tensor's chunks (./kth-largest.ts). The
 * TIES method asks for them once per tensor (ChunkSite.perTensor), shared by its chunks.
 */
import type { ChunkInput, DeltaTerm } from '../compute/engine';
import { decodeToF32 } from '../formats/dtype';
import type { TensorReads } from './define';
import { absDeltaBits, kthFromChunks, kthFromSingleChunk, thresholdForK, topK } from './kth-largest';

const asF32 = (c: ChunkInput) => decodeToF32(c.dtype, c.bytes);

/** Passes over a tensor's inputs that its selection makes beside the merge: two when it streams. */
export const tiesExtraPasses = (numel: number, chunkElems: number) => (numel > chunkElems ? 2 : 0);

/** The thresholds of a tensor's terms; densities[j]: the fraction of |τ_j| kept (top-k, k as mergekit). */
export async function tiesThresholds(reads: TensorReads, terms: DeltaTerm[], densities: number[]): Promise<number[]> {
  const { numel, whole } = reads;
  const out: number[] = [];
  for (let j = 0; j < terms.length; j++) {
    const { a, b } = terms[j];
    const k = topK(densities[j], numel);
    const mode = thresholdForK(k, numel);
    if (mode !== 'select') out.push(mode === 'all' ? 0 : Infinity);
    else if (whole) out.push(kthFromSingleChunk(absDeltaBits(asF32(whole[a]), b === null ? null : asF32(whole[b]), new Uint32Array(numel)), k));
    else out.push(await streamKth(reads, a, b, k));
  }
  return out;
}

/** The k-th largest |x_a − x_b| of the tensor, reading it chunk by chunk. */
function streamKth(reads: TensorReads, a: number, b: number | null, k: number): Promise<number> {
  let scratch = new Uint32Array(0);
  return kthFromChunks((visit) => reads.stream(b === null ? [a] : [a, b], ([ca, cb]) => {
    const xa = asF32(ca);
    if (scratch.length < xa.length) scratch = new Uint32Array(xa.length);
    visit(absDeltaBits(xa, cb ? asF32(cb) : null, scratch.subarray(0, xa.length)));
  }), k);
}
