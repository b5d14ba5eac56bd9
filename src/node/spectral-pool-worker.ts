/**
 * One worker of the spectral pool (./spectral-pool.ts): factors a matrix for the LoRA export. Loaded through spectral-pool-worker.mjs (TypeScript via tsx) or as the CLI
 * bundle's sibling file.
 */
import { parentPort } from 'node:worker_threads';
import type { Matrix } from '../analysis/spectral';
import { factorMatrix, type FactorOptions } from '../merge/lora/factor';

const port = parentPort!;
port.on('message', async ({ id, factor }: { id: number; factor: { m: Matrix; o: FactorOptions } }) => {
  try {
    const out = await factorMatrix(factor.m, factor.o);
    port.postMessage({ id, out }, [out.a.buffer, out.b.buffer] as ArrayBuffer[]);
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
port.postMessage({ ready: true });
