/**
 * The LoRA export's matrices on worker threads (Node CLI): each worker runs factorMatrix
 * (src/merge/lora/factor.ts) unchanged, so the numbers are those of the in-thread export bit for bit. Matrices go to the worker
 * transferred, not copied; the main thread reads the next matrix meanwhile.
 */
import type { FactorCompute, LowRank } from '../merge/lora/factor';
import { startWorkers } from './worker-slots';

export interface SpectralPool {
  readonly workers: number;
  factor: FactorCompute;
  dispose(): void;
}

export async function spectralPool(workers: number): Promise<SpectralPool> {
  const slots = await startWorkers(new URL('./spectral-pool-worker.mjs', import.meta.url), workers);
  return {
    workers,
    factor: (m, o) => slots.call<LowRank>({ factor: { m, o } }, [m.data.buffer] as ArrayBuffer[]),
    dispose: slots.dispose,
  };
}
