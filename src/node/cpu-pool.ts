/**
 * The CPU engine on several cores (Node CLI): an Engine whose calls go to worker threads, each running
 * the CpuEngine of src/compute unchanged. No kernel code here — only dispatch — so results are the
 * CpuEngine's bit for bit. The executor keeps `workers` chunks in flight to use them (RunOptions.concurrency).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { EngineBase, type Engine } from '../compute/engine';
import type { ChunkInput } from '../compute/kernels/common/inputs';
import type { OpName, OpResult, OpSpec } from '../compute/ops';

export interface CpuPool extends Engine {
  readonly workers: number;
  run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>>;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** Each op call goes to the least busy worker; any op of ops.ts, by name. */
class PoolEngine extends EngineBase implements CpuPool {
  readonly kind = 'cpu' as const;
  constructor(readonly workers: number, readonly maxChunkElements: number, private readonly call: (op: OpName, inputs: ChunkInput[], spec: unknown) => Promise<unknown>, readonly dispose: () => void) {
    super();
  }

  run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>> {
    return this.call(op, inputs, spec) as Promise<OpResult<K>>;
  }
}

export async function cpuPool(workers = Math.max(1, Math.min(8, availableParallelism() - 1)), maxChunkElements = 1 << 22): Promise<CpuPool> {
  const pool: { w: Worker; busy: number }[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  await Promise.all(
    Array.from({ length: workers }, () => new Promise<void>((ready, fail) => {
      const w = new Worker(new URL('./cpu-pool-worker.mjs', import.meta.url), { workerData: { maxChunkElements } });
      const slot = { w, busy: 0 };
      w.on('message', (m: { ready?: boolean; id: number; out?: unknown; error?: string }) => {
        if (m.ready) {
          pool.push(slot);
          return ready();
        }
        slot.busy--;
        const p = pending.get(m.id)!;
        pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.out!);
      });
      w.on('error', (e) => {
        fail(e);
        for (const p of pending.values()) p.reject(e);
      });
    })),
  );
  const call = (op: OpName, inputs: ChunkInput[], spec: unknown): Promise<unknown> => {
    const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      // Inputs are copied (structured clone): their buffers may belong to a reader's cache.
      slot.w.postMessage({ id, op, inputs, spec });
    });
  };
  return new PoolEngine(workers, maxChunkElements, call, () => {
    for (const p of pool) void p.w.terminate();
  });
}
