/**
 * A few worker threads answering numbered requests, each request to the least busy one: what the CPU
 * pool (./cpu-pool.ts) and the spectral pool (./spectral-pool.ts) share. A worker posts {ready: true}
 * once, then {id, out} or {id, error} per request.
 */
import { Worker } from 'node:worker_threads';

export interface WorkerSlots {
  readonly count: number;
  call<T>(msg: object, transfer?: ArrayBuffer[]): Promise<T>;
  dispose(): void;
}

export async function startWorkers(url: URL, count: number, workerData?: unknown): Promise<WorkerSlots> {
  const slots: { w: Worker; busy: number }[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  await Promise.all(
    Array.from({ length: count }, () => new Promise<void>((ready, fail) => {
      const w = new Worker(url, { workerData });
      const slot = { w, busy: 0 };
      w.on('message', (m: { ready?: boolean; id: number; out?: unknown; error?: string }) => {
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
      });
    })),
  );
  return {
    count,
    call<T>(msg: object, transfer: ArrayBuffer[] = []): Promise<T> {
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      slot.busy++;
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        slot.w.postMessage({ ...msg, id }, transfer);
      });
    },
    dispose() {
      for (const s of slots) void s.w.terminate();
    },
  };
}
