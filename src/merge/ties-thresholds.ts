/**
 * TIES keeps each task vector's top-k entries of a whole tensor, so before a tensor's first chunk is
 * merged its thresholds (the k-th largest |τ_j| per term) must be known: from the first chunk when it
 * holds the whole tensor, else from a streaming pass over the tensor's chunks (./kth-largest.ts). One
 * selection per tensor, shared by its chunks even when several are in flight.
 */
import type { ChunkInput } from '../compute/engine';
import { readChunk } from '../compute/read-chunk';
import { decodeToF32 } from '../formats/dtype';
import type { TensorOp } from './define';
import { absDeltaBits, kthFromChunks, kthFromSingleChunk, thresholdForK, topK } from './kth-largest';
import type { PlanDetail } from './plan';

type TiesOp = Extract<TensorOp, { kind: 'ties' }>;

const asF32 = (c: ChunkInput) => decodeToF32(c.dtype, c.bytes);

/** Bytes the streaming selections read beside the merge (for the progress total): two passes' worth of each such tensor's inputs. */
export function tiesExtraBytes(plan: PlanDetail, ops: (TensorOp | null)[], chunkElems: number): number {
  return plan.tensors.reduce((s, t, i) => {
    if (ops[i]?.kind !== 'ties' || t.numel <= chunkElems) return s;
    return s + 2 * plan.sources[i].reduce((a, e) => a + e.byteLength, 0);
  }, 0);
}

export interface ThresholdReads {
  /** Throws when the merge was cancelled or failed. */
  check(): void;
  onRead(bytes: number): void;
  report(): void;
}

export class TiesThresholds {
  private readonly byTensor = new Map<number, Promise<number[]>>();

  constructor(private readonly plan: PlanDetail, private readonly chunkElems: number, private readonly io: ThresholdReads) {}

  /** Tensor i's thresholds; `firstChunk` is its first job's inputs (computed first, jobs run in order). */
  of(i: number, op: TiesOp, firstChunk: ChunkInput[] | null): Promise<number[]> {
    let th = this.byTensor.get(i);
    if (!th) {
      th = this.select(i, op, firstChunk);
      this.byTensor.set(i, th);
    }
    return th;
  }

  private async select(i: number, op: TiesOp, firstChunk: ChunkInput[] | null): Promise<number[]> {
    const t = this.plan.tensors[i];
    const out: number[] = [];
    for (let j = 0; j < op.spec.terms.length; j++) {
      const { a, b } = op.spec.terms[j];
      const k = topK(op.densities[j], t.numel);
      const mode = thresholdForK(k, t.numel);
      if (mode !== 'select') out.push(mode === 'all' ? 0 : Infinity);
      else if (firstChunk && t.numel <= this.chunkElems) {
        out.push(kthFromSingleChunk(absDeltaBits(asF32(firstChunk[a]), b === null ? null : asF32(firstChunk[b]), new Uint32Array(t.numel)), k));
      } else out.push(await this.stream(i, a, b, k));
    }
    return out;
  }

  /** The k-th largest |x_a − x_b| of tensor i, reading it chunk by chunk. */
  private stream(i: number, a: number, b: number | null, k: number): Promise<number> {
    const numel = this.plan.tensors[i].numel;
    const ea = this.plan.sources[i][a], eb = b === null ? null : this.plan.sources[i][b];
    const scratch = new Uint32Array(Math.min(this.chunkElems, numel));
    return kthFromChunks(async (visit) => {
      for (let f = 0; f < numel; f += this.chunkElems) {
        this.io.check();
        const n = Math.min(this.chunkElems, numel - f);
        const [ca, cb] = await Promise.all([readChunk(ea, f, n), eb ? readChunk(eb, f, n) : Promise.resolve(null)]);
        this.io.onRead(ca.bytes.length + (cb?.bytes.length ?? 0));
        visit(absDeltaBits(asF32(ca), cb ? asF32(cb) : null, scratch.subarray(0, n)));
        this.io.report();
      }
    }, k);
  }
}
