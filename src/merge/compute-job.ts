/** One job's output bytes: a copy as read (or converted), or the tensor's engine operation on its chunk. */
import type { ChunkInput, Engine } from '../compute/engine';
import type { ComputeDType } from '../formats/dtype';
import type { TensorOp } from './define';
import type { Job } from './merge-jobs';
import type { PlanDetail } from './plan';
import type { TiesThresholds } from './ties-thresholds';

/** FNV-1a of a string: the DARE salt of (tensor name, model index), stable across runs and engines. */
export function dareSalt(tensor: string, model: number): number {
  let h = 0x811c9dc5;
  const s = `${tensor}#${model}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface JobContext {
  engine: Engine;
  plan: PlanDetail;
  ops: (TensorOp | null)[];
  raw: boolean[];
  thresholds: TiesThresholds;
}

export async function computeJob(c: JobContext, job: Job, chunk: ChunkInput[]): Promise<Uint8Array> {
  const t = c.plan.tensors[job.tensor];
  const op = c.ops[job.tensor];
  const outDtype = t.dtype as ComputeDType;
  if (job.count === 0) return new Uint8Array(0);
  if (!op) {
    if (c.raw[job.tensor]) return chunk[0].bytes;
    // A float copy into another dtype: the engine's combine with no terms converts it.
    return c.engine.combine(chunk, { base: 0, terms: [], scale: 1, outDtype });
  }
  if (op.kind === 'combine') return c.engine.combine(chunk, { ...op.spec, outDtype });
  if (op.kind === 'ties') {
    const thresholds = await c.thresholds.of(job.tensor, op, job.first === 0 ? chunk : null);
    return c.engine.ties(chunk, { ...op.spec, thresholds, outDtype });
  }
  const salts = op.spec.terms.map((_, j) => dareSalt(t.name, j));
  return c.engine.dare(chunk, { ...op.spec, salts, firstElement: job.first, outDtype });
}
