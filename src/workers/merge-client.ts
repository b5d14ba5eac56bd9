/**
 * Main-thread side of the merge Worker: one Worker, created on first use and kept (so a WebGPU device
 * and its measurement are not paid again for every merge); each run gets an id and its own callbacks.
 */
import type { MergeProgress, MergeResult, PlanIssue } from '../merge/types';
import type { EngineInfo, FromWorker, ResultFile, RunRequest, RunTimings, SinkSpec } from './merge-protocol';

export interface MergeRunHandlers {
  onEngine?(info: EngineInfo): void;
  onProgress?(p: MergeProgress): void;
}

export type MergeOutcome =
  | { kind: 'done'; result: Omit<MergeResult, 'files'>; files: ResultFile[]; engine: EngineInfo; sink: SinkSpec['kind'] }
  | { kind: 'refused'; blocking: PlanIssue[]; message: string }
  | { kind: 'cancelled' }
  | { kind: 'error'; message: string };

export interface MergeRun {
  id: number;
  outcome: Promise<MergeOutcome>;
  cancel(): void;
}

/**
 * The Worker's timings as performance marks on the page's timeline ('capvector-merge:<step>', detail: the
 * run id), where the DevTools performance panel and the browser-merge benchmark find them.
 */
function markTimings(id: number, timings: RunTimings): void {
  for (const [step, epoch] of Object.entries(timings)) {
    if (epoch === undefined) continue;
    const startTime = Math.max(0, epoch - performance.timeOrigin);
    performance.mark(`capvector-merge:${step}`, { startTime, detail: id });
  }
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { handlers: MergeRunHandlers; resolve(o: MergeOutcome): void }>();

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./merge.worker.ts', import.meta.url), { type: 'module', name: 'merge' });
  w.onmessage = (ev: MessageEvent<FromWorker>) => {
    const m = ev.data;
    const p = pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'engine':
        p.handlers.onEngine?.(m.info);
        return;
      case 'progress':
        p.handlers.onProgress?.(m.progress);
        return;
      case 'done':
        markTimings(m.id, m.timings);
        p.resolve({ kind: 'done', result: m.result, files: m.files, engine: m.engine, sink: m.sink });
        break;
      case 'refused':
        p.resolve({ kind: 'refused', blocking: m.blocking, message: m.message });
        break;
      case 'cancelled':
        p.resolve({ kind: 'cancelled' });
        break;
      case 'error':
        p.resolve({ kind: 'error', message: m.message });
        break;
    }
    pending.delete(m.id);
  };
  // A Worker that fails to load or crashes ends every run it had with a message, never a hang.
  w.onerror = (ev) => {
    ev.preventDefault();
    for (const p of pending.values()) p.resolve({ kind: 'error', message: `merge worker failed: ${ev.message || 'could not start'}` });
    pending.clear();
    w.terminate();
    worker = null;
  };
  worker = w;
  return w;
}

export function startMerge(req: Omit<RunRequest, 'type' | 'id'>, handlers: MergeRunHandlers = {}): MergeRun {
  const id = nextId++;
  const w = getWorker();
  const outcome = new Promise<MergeOutcome>((resolve) => pending.set(id, { handlers, resolve }));
  w.postMessage({ ...req, type: 'run', id } satisfies RunRequest);
  return { id, outcome, cancel: () => w.postMessage({ type: 'cancel', id }) };
}
