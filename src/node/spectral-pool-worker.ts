/**
 * One worker of the spectral pool (./spectral-pool.ts): computes a matrix's spectral row, or factors a
 * matrix for the LoRA export. Loaded through spectral-pool-worker.mjs (TypeScript via tsx) or as the CLI
 * bundle's sibling file.
 */
import { parentPort } from 'node:worker_threads';
import { computeSpectralJob, type SpectralJob } from '../analysis/spectral-job';
import type { Matrix } from '../analysis/spectral';
import { factorMatrix, type FactorOptions } from '../merge/lora/factor';

const port = parentPort!;
port.on('message', ({ id, job, factor }: { id: number; job?: SpectralJob; factor?: { m: Matrix; o: FactorOptions } }) => {
  try {
    if (job) port.postMessage({ id, out: computeSpectralJob(job) });
    else {
      const out = factorMatrix(factor!.m, factor!.o);
      port.postMessage({ id, out }, [out.a.buffer, out.b.buffer] as ArrayBuffer[]);
    }
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
