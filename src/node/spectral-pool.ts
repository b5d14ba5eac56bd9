/**
 * The spectral pass's matrices, and the LoRA export's, on worker threads (Node CLI): each worker runs
 * computeSpectralJob (src/analysis/spectral-job.ts) or factorMatrix (src/merge/lora/factor.ts)
 * unchanged, so the numbers are those of the in-thread pass bit for bit. Matrices go to the worker
 * transferred, not copied; the main thread reads the next matrix meanwhile.
 */
import type { SpectralCompute, SpectralJobResult } from '../analysis/spectral-job';
import type { FactorCompute, LowRank } from '../merge/lora/factor';
import { startWorkers } from './worker-slots';

export interface SpectralPool {
  readonly workers: number;
  compute: SpectralCompute;
  factor: FactorCompute;
  dispose(): void;
}

export async function spectralPool(workers: number): Promise<SpectralPool> {
  const slots = await startWorkers(new URL('./spectral-pool-worker.mjs', import.meta.url), workers);
  return {
    workers,
    compute: (job) => slots.call<SpectralJobResult>({ job }, [job.gamma.buffer, ...(job.delta ? [job.delta.buffer] : [])] as ArrayBuffer[]),
    factor: (m, o) => slots.call<LowRank>({ factor: { m, o } }, [m.data.buffer] as ArrayBuffer[]),
    dispose: slots.dispose,
  };
}
