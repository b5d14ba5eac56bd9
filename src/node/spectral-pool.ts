/**
 * The spectral pass's matrices on worker threads (Node CLI): each worker runs computeSpectralJob of
 * src/analysis/spectral-job.ts unchanged, so the numbers are those of the in-thread pass bit for bit.
 * γ (and Δ) go to the worker transferred, not copied; the main thread reads the next matrix meanwhile.
 */
import type { SpectralCompute, SpectralJobResult } from '../analysis/spectral-job';
import { startWorkers } from './worker-slots';

export interface SpectralPool {
  readonly workers: number;
  compute: SpectralCompute;
  dispose(): void;
}

export async function spectralPool(workers: number): Promise<SpectralPool> {
  const slots = await startWorkers(new URL('./spectral-pool-worker.mjs', import.meta.url), workers);
  return {
    workers,
    compute: (job) => slots.call<SpectralJobResult>({ job }, [job.gamma.buffer, ...(job.delta ? [job.delta.buffer] : [])] as ArrayBuffer[]),
    dispose: slots.dispose,
  };
}
