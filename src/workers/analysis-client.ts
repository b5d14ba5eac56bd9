/**
 * Main-thread side of the analysis Worker: one Worker per run (terminated when it ends, so an
 * engine's GPU memory goes with it), callbacks for each message, and cancel.
 */
import type { AnalysisFromWorker, AnalysisRunRequest } from './analysis-protocol';

export interface AnalysisHandlers {
  onMessage(m: AnalysisFromWorker): void;
}

export interface AnalysisRun {
  /** Asks the Worker to stop between chunks; terminates it if it has not answered within `CANCEL_GRACE_MS`. */
  cancel(): void;
  /** True once cancel() was called: the caller drops any batch still in flight. */
  readonly cancelled: boolean;
  /** Resolves with the final message (done, cancelled or error). */
  finished: Promise<AnalysisFromWorker>;
}

let nextId = 1;

/** A chunk on a slow engine (SwiftShader) can take a while; past this, the Worker is stopped outright. */
export const CANCEL_GRACE_MS = 1500;

export function startAnalysis(req: Omit<AnalysisRunRequest, 'type' | 'id'>, h: AnalysisHandlers): AnalysisRun {
  const id = nextId++;
  const worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
  let settle!: (m: AnalysisFromWorker) => void;
  const finished = new Promise<AnalysisFromWorker>((r) => (settle = r));
  let over = false;
  let cancelled = false;
  const end = (m: AnalysisFromWorker) => {
    over = true;
    worker.terminate();
    settle(m);
  };
  worker.onmessage = (ev: MessageEvent<AnalysisFromWorker>) => {
    const m = ev.data;
    if (over) return;
    h.onMessage(m);
    if (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') end(m);
  };
  worker.onerror = (ev) => {
    if (over) return;
    const m: AnalysisFromWorker = { type: 'error', id, message: ev.message || 'the analysis worker failed to start' };
    h.onMessage(m);
    end(m);
  };
  worker.postMessage({ ...req, type: 'run', id } satisfies AnalysisRunRequest);
  return {
    cancel() {
      if (over || cancelled) return;
      cancelled = true;
      worker.postMessage({ type: 'cancel', id });
      setTimeout(() => {
        if (over) return;
        const m: AnalysisFromWorker = { type: 'cancelled', id };
        h.onMessage(m);
        end(m);
      }, CANCEL_GRACE_MS);
    },
    get cancelled() {
      return cancelled;
    },
    finished,
  };
}
