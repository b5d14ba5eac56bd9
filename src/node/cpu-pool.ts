/**
 * The CPU engine on several cores (Node CLI): an Engine whose calls go to worker threads, each running
 * the CpuEngine of src/compute unchanged. No kernel code here — only dispatch — so results are the
 * CpuEngine's bit for bit. The executor keeps `workers` chunks in flight to use them (RunOptions.concurrency).
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { ChunkInput, Engine, StatsResult } from '../compute/engine';

export interface CpuPool extends Engine {
  readonly workers: number;
}

interface Pending {
  resolve: (v: Uint8Array | StatsResult) => void;
  reject: (e: Error) => void;
}

export async function cpuPool(workers = Math.max(1, Math.min(8, availableParallelism() - 1)), maxChunkElements = 1 << 22): Promise<CpuPool> {
  const pool: { w: Worker; busy: number }[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  await Promise.all(
    Array.from({ length: workers }, () => new Promise<void>((ready, fail) => {
      const w = new Worker(new URL('./cpu-pool-worker.mjs', import.meta.url), { workerData: { maxChunkElements } });
      const slot = { w, busy: 0 };
      w.on('message', (m: { ready?: boolean; id: number; out?: Uint8Array | StatsResult; error?: string }) => {
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
  const call = <T extends Uint8Array | StatsResult>(op: 'combine' | 'ties' | 'dare' | 'stats', inputs: ChunkInput[], spec: unknown): Promise<T> => {
    const slot = pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: Uint8Array | StatsResult) => void, reject });
      // Inputs are copied (structured clone): their buffers may belong to a reader's cache.
      slot.w.postMessage({ id, op, inputs, spec });
    });
  };
  return {
    kind: 'cpu',
    workers,
    maxChunkElements,
    combine: (i, s) => call<Uint8Array>('combine', i, s),
    ties: (i, s) => call<Uint8Array>('ties', i, s),
    dare: (i, s) => call<Uint8Array>('dare', i, s),
    stats: (i, s) => call<StatsResult>('stats', i, s),
    dispose() {
      for (const p of pool) void p.w.terminate();
    },
  };
}
