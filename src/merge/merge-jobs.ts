/**
 * The executor's units of work: every output tensor cut into chunks (jobs, in tensor order), what each
 * tensor asks of the engine (its TensorOp), and the reads of one job.
 */
import type { ChunkInput, Engine } from '../compute/engine';
import { readChunk } from '../compute/read-chunk';
import { numel, type TensorEntry } from '../formats/checkpoint';
import type { TensorOp } from './define';
import { denseEntry, factorReads, foldAdapters } from './lora-op';
import { readInput } from './lora-sources';
import type { PlanDetail } from './plan';

export interface Job {
  tensor: number;
  /** First element of the chunk (first byte for a raw copy). */
  first: number;
  count: number;
}

/**
 * Copies with the same dtype in and out go by byte ranges, so any dtype (integers, packed F4) copies
 * exactly: their jobs count bytes, not elements.
 */
export const rawCopies = (plan: PlanDetail): boolean[] => plan.tensors.map((t, i) => t.action.kind === 'copy' && t.dtype === plan.sources[i][0].dtype);

/** Every tensor split into chunks of `chunkElems` elements (raw copies: `chunkBytes` bytes); an empty tensor still gets one empty job. */
export function chunkJobs(plan: PlanDetail, raw: boolean[], chunkElems: number, chunkBytes: number): Job[] {
  const jobs: Job[] = [];
  plan.tensors.forEach((t, i) => {
    const total = raw[i] ? t.byteLength : t.numel;
    const step = raw[i] ? chunkBytes : chunkElems;
    if (total === 0) jobs.push({ tensor: i, first: 0, count: 0 });
    for (let f = 0; f < total; f += step) jobs.push({ tensor: i, first: f, count: Math.min(step, total - f) });
  });
  return jobs;
}

/** Whether the job is its tensor's last chunk. */
export const endsTensor = (plan: PlanDetail, raw: boolean[], job: Job) =>
  job.first + job.count >= (raw[job.tensor] ? plan.tensors[job.tensor].byteLength : plan.tensors[job.tensor].numel);

/** A float copy into another dtype: the identity combine (the base, no terms) converts it. */
const CONVERT: TensorOp = { kind: 'combine', spec: { base: 0, terms: [], scale: 1 } };

/** What each tensor asks of the engine: its method's op, CONVERT for a converted copy, null for a raw copy. */
export function tensorOps(plan: PlanDetail, raw: boolean[], modelCount: number): (TensorOp | null)[] {
  const pre = plan.inputRoles.indexOf('pre');
  return plan.tensors.map((t, i) =>
    raw[i] ? null : t.action.kind === 'copy' ? CONVERT
      : foldAdapters(plan.method.op({ name: t.name, params: t.params, modelCount }), plan.sources[i], t.shape, pre));
}

/** Bytes the ops' passes over whole tensors read beside the merge (for the progress total). */
export function extraReadBytes(plan: PlanDetail, ops: (TensorOp | null)[], chunkElems: number): number {
  return plan.tensors.reduce((s, t, i) => {
    const passes = ops[i]?.extraPasses?.(t.numel, chunkElems) ?? 0;
    // A LoRA role's factors are read whole with each chunk of the tensor.
    const factors = factorReads(plan.sources[i]).reduce((a, e) => a + e.byteLength, 0);
    return s + factors * Math.max(1, Math.ceil(t.numel / chunkElems)) + passes * plan.sources[i].reduce((a, e) => a + e.byteLength, 0);
  }, 0);
}

/**
 * A job's input chunks (a copy reads its base only); `onRead` counts the bytes. An entry several inputs
 * share (θ_pre under a LoRA role) is read once. A `lora` op reads the dense parts then the factors
 * whole (lora-op.ts); any other op gets a LoRA role's values formed by the engine (lora-sources.ts).
 */
export async function readJob(plan: PlanDetail, raw: boolean[], job: Job, onRead: (bytes: number) => void, engine: Engine, op: TensorOp | null): Promise<ChunkInput[]> {
  const srcs = plan.sources[job.tensor];
  if (raw[job.tensor]) {
    const bytes = await srcs[0].read(job.first, job.count);
    onRead(bytes.length);
    return [{ bytes, dtype: 'F32' }]; // dtype unused: written as is
  }
  const list = plan.tensors[job.tensor].action.kind === 'copy' ? srcs.slice(0, 1) : srcs;
  const reads = new Map<TensorEntry, Promise<ChunkInput>>();
  const once = (e: TensorEntry, read: () => Promise<ChunkInput>) => {
    let r = reads.get(e);
    if (!r) reads.set(e, (r = read()));
    return r;
  };
  if (op?.kind === 'lora') {
    const dense = list.map((e) => once(denseEntry(e), () => readChunk(denseEntry(e), job.first, job.count).then(counted(onRead))));
    const factors = factorReads(list).map((e) => readChunk(e, 0, numel(e)).then(counted(onRead)));
    return Promise.all([...dense, ...factors]);
  }
  return Promise.all(list.map((e) => once(e, () => readInput(engine, e, job.first, job.count, onRead))));
}

const counted = (onRead: (bytes: number) => void) => (c: ChunkInput) => {
  onRead(c.bytes.length);
  return c;
};
