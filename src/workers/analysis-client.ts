/**
 * Main-thread side of the analysis Worker: one Worker per run (terminated when it ends, so an
 * engine's GPU memory goes with it), callbacks for each message, and cancel.
 */
import type { AnalysisFromWorker, AnalysisRunRequest } from './analysis-protocol';

export interface AnalysisHandlers {
  onMessage(m: AnalysisFromWorker): void;
}

export interface AnalysisRun {
  cancel(): void;
  /** Resolves with the final message (done, cancelled or error). */
  finished: Promise<AnalysisFromWorker>;
}

let nextId = 1;

export function startAnalysis(req: Omit<AnalysisRunRequest, 'type' | 'id'>, h: AnalysisHandlers): AnalysisRun {
  const id = nextId++;
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
  let settle!: (m: AnalysisFromWorker) => void;
  const finished = new Promise<AnalysisFromWorker>((r) => (settle = r));
  const end = (m: AnalysisFromWorker) => {
    worker.terminate();
    settle(m);
  };
  worker.onmessage = (ev: MessageEvent<AnalysisFromWorker>) => {
    const m = ev.data;
    h.onMessage(m);
    if (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') end(m);
  };
  worker.onerror = (ev) => {
    const m: AnalysisFromWorker = { type: 'error', id, message: ev.message || 'the analysis worker failed to start' };
    h.onMessage(m);
    end(m);
  };
  worker.postMessage({ ...req, type: 'run', id } satisfies AnalysisRunRequest);
  return {
    cancel: () => worker.postMessage({ type: 'cancel', id }),
    finished,
  };
}
