import type { TensorStats } from '../analysis/tensor-stats';
import type { InspectRequest, InspectResponse, WorkerInputFile } from './protocol';

/** One shared inspect Worker, started on first use. */
let worker: Worker | undefined;
let nextId = 1;
/** A key per file set (the store keeps one inputs array per checkpoint), so the Worker can cache its parse. */
const setKeys = new WeakMap<object, string>();
const pending = new Map<number, { resolve(s: TensorStats): void; reject(e: Error): void; onProgress?(done: number, total: number): void }>();

export class InspectCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'InspectCancelled';
  }
}

function getWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./inspect.worker.ts', import.meta.url), { type: 'module', name: 'inspect' });
  worker.onmessage = (e: MessageEvent<InspectResponse>) => {
    const m = e.data;
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') return p.onProgress?.(m.done, m.total);
    pending.delete(m.id);
    if (m.type === 'result') p.resolve(m.stats);
    else if (m.type === 'cancelled') p.reject(new InspectCancelled());
    else p.reject(new Error(m.message));
  };
  worker.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`inspect worker failed: ${e.message}`));
    pending.clear();
    worker?.terminate();
    worker = undefined;
  };
  return worker;
}

/**
 * Statistics of one tensor, computed in the inspect Worker. Abort the signal to cancel; the promise
 * then rejects with InspectCancelled.
 */
export function inspectTensor(
  inputs: WorkerInputFile[],
  tensor: string,
  opts: { bins?: number; chunkElements?: number; signal?: AbortSignal; onProgress?(done: number, total: number): void } = {},
): Promise<TensorStats> {
  const w = getWorker();
  const id = nextId++;
  return new Promise<TensorStats>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new InspectCancelled());
    pending.set(id, { resolve, reject, onProgress: opts.onProgress });
    opts.signal?.addEventListener('abort', () => w.postMessage({ type: 'cancel', id } satisfies InspectRequest), { once: true });
    let key = setKeys.get(inputs);
    if (!key) setKeys.set(inputs, (key = `set${nextId++}`));
    const req: InspectRequest = { type: 'stats', id, key, inputs: inputs.map((f) => ({ path: f.path, blob: f.blob })), tensor, bins: opts.bins, chunkElements: opts.chunkElements };
    w.postMessage(req);
  });
}
