/**
 * One worker of the spectral pool (./spectral-pool.ts): computes a matrix's spectral row. Loaded through
 * spectral-pool-worker.mjs (TypeScript via tsx) or as the CLI bundle's sibling file.
 */
import { parentPort } from 'node:worker_threads';
import { computeSpectralJob, type SpectralJob } from '../analysis/spectral-job';

const port = parentPort!;
port.on('message', ({ id, job }: { id: number; job: SpectralJob }) => {
  try {
    port.postMessage({ id, out: computeSpectralJob(job) });
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
