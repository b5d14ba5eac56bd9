/**
 * The spectral pass's matrices on worker threads (Node CLI): each worker runs computeSpectralJob of
 * src/analysis/spectral-job.ts unchanged, so the numbers are those of the in-thread pass bit for bit.
 * γ (and Δ) go to the worker transferred, not copied; the main thread reads the next matrix meanwhile.
 */
import { Worker } from 'node:worker_threads';
import type { SpectralCompute, SpectralJob, SpectralJobResult } from '../analysis/spectral-job';

export interface SpectralPool {
  readonly workers: number;
  compute: SpectralCompute;
  dispose(): void;
}

export async function spectralPool(workers: number): Promise<SpectralPool> {
  const slots: { w: Worker; busy: number }[] = [];
  const pending = new Map<number, { resolve(r: SpectralJobResult): void; reject(e: Error): void }>();
  let nextId = 0;
  await Promise.all(
    Array.from({ length: workers }, () => new Promise<void>((ready, fail) => {
      const w = new Worker(new URL('./spectral-pool-worker.mjs', import.meta.url));
      const slot = { w, busy: 0 };
      w.on('message', (m: { ready?: boolean; id: number; out?: SpectralJobResult; error?: string }) => {
        if (m.ready) {
          slots.push(slot);
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
        pending.clear();
      });
    })),
  );
  const compute = (job: SpectralJob): Promise<SpectralJobResult> => {
    const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      const transfer = [job.gamma.buffer, ...(job.delta ? [job.delta.buffer] : [])] as ArrayBuffer[];
      slot.w.postMessage({ id, job }, transfer);
    });
  };
  return {
    workers,
    compute,
    dispose: () => {
      for (const s of slots) void s.w.terminate();
    },
  };
}
