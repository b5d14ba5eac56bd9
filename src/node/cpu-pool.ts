/**
 * The CPU engine on several cores (Node CLI): an Engine whose calls go to worker threads, each running
 * the CpuEngine of src/compute unchanged. No kernel code here — only dispatch — so results are the
 * CpuEngine's bit for bit. The executor keeps `workers` chunks in flight to use them (RunOptions.concurrency).
 */
import { availableParallelism } from 'node:os';
import { EngineBase, type Engine } from '../compute/engine';
import type { ChunkInput } from '../compute/kernels/common/inputs';
import type { OpName, OpResult, OpSpec } from '../compute/ops';
import { startWorkers } from './worker-slots';

export interface CpuPool extends Engine {
  readonly workers: number;
  run<K extends OpName>(op: K, inputs: ChunkInput[], spec: OpSpec<K>): Promise<OpResult<K>>;
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
  const slots = await startWorkers(new URL('./cpu-pool-worker.mjs', import.meta.url), workers, { maxChunkElements });
  // Inputs are copied (structured clone): their buffers may belong to a reader's cache.
  return new PoolEngine(workers, maxChunkElements, (op, inputs, spec) => slots.call({ op, inputs, spec }), slots.dispose);
}
