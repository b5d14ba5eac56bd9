/**
 * One job's output bytes: a raw copy's bytes as read, or the tensor's op (./merge-jobs.ts tensorOps)
 * run on its chunk through the op table: engine[op.kind](chunk, spec). The executor knows no op by
 * name; what an op needs per chunk or per tensor comes from its TensorOp (./define.ts).
 */
import type { ChunkInput, Engine } from '../compute/engine';
import { readInput } from './lora-sources';
import type { ComputeDType } from '../formats/dtype';
import type { ChunkSite, TensorOp, TensorReads } from './define';
import type { Job } from './merge-jobs';
import type { PlanDetail } from './plan';

/** How the passes over a whole tensor (ChunkSite.perTensor) read: cancel checks and the progress. */
export interface PassReads {
  /** Throws when the merge was cancelled or failed. */
  check(): void;
  onRead(bytes: number): void;
  report(): void;
}

export interface JobContext {
  engine: Engine;
  plan: PlanDetail;
  /** Each tensor's op; null for a raw copy (its bytes are written as read). */
  ops: (TensorOp | null)[];
  chunkElems: number;
  io: PassReads;
  /** ChunkSite.perTensor's values, by tensor index. */
  perTensor: Map<number, Promise<unknown>>;
}

export async function computeJob(c: JobContext, job: Job, chunk: ChunkInput[]): Promise<Uint8Array> {
  if (job.count === 0) return new Uint8Array(0);
  const op = c.ops[job.tensor];
  if (!op) return chunk[0].bytes;
  return runOp(c.engine, op, chunk, site(c, job, chunk));
}

async function runOp(engine: Engine, op: TensorOp, chunk: ChunkInput[], at: ChunkSite): Promise<Uint8Array> {
  const spec = { ...op.spec, ...(op.chunk ? await op.chunk(at) : {}), outDtype: at.outDtype };
  // The spec is the op's (TypeScript cannot pair a union's kind with its spec).
  const call = engine[op.kind] as (inputs: ChunkInput[], spec: unknown) => Promise<Uint8Array>;
  return call.call(engine, chunk, spec);
}

function site(c: JobContext, job: Job, chunk: ChunkInput[]): ChunkSite {
  const t = c.plan.tensors[job.tensor];
  return {
    name: t.name,
    numel: t.numel,
    first: job.first,
    outDtype: t.dtype as ComputeDType,
    perTensor<T>(make: (reads: TensorReads) => Promise<T>): Promise<T> {
      let v = c.perTensor.get(job.tensor);
      if (!v) {
        // Jobs start in order, so this is the tensor's first chunk.
        v = make(tensorReads(c, job.tensor, job.first === 0 && job.count === t.numel ? chunk : null));
        c.perTensor.set(job.tensor, v);
      }
      return v as Promise<T>;
    },
  };
}

function tensorReads(c: JobContext, i: number, whole: ChunkInput[] | null): TensorReads {
  const numel = c.plan.tensors[i].numel;
  return {
    numel,
    whole,
    async stream(which, visit) {
      const entries = which.map((k) => c.plan.sources[i][k]);
      for (let f = 0; f < numel; f += c.chunkElems) {
        c.io.check();
        const n = Math.min(c.chunkElems, numel - f);
        const chunks = await Promise.all(entries.map((e) => readInput(c.engine, e, f, n)));
        c.io.onRead(chunks.reduce((s, x) => s + x.bytes.length, 0));
        visit(chunks);
        c.io.report();
      }
    },
  };
}
