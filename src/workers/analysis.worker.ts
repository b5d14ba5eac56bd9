/// <reference lib="webworker" />
/**
 * The analysis Worker: reopens the role checkpoints from the user's Blobs, chooses the engine, and
 * streams per-tensor statistics back in batches (at most one per BATCH_MS), so the main thread
 * only merges small arrays and repaints a canvas. Cancel aborts between chunks.
 */
import { describeError } from '../formats/errors';
import type { Checkpoint } from '../formats/checkpoint';
import { chooseEngine } from '../compute/select';
import { planStatsTasks, runStats, type StatsProgress, type TensorStats } from '../analysis/run-stats';
import { reopenCheckpoint } from './reopen';
import type { AnalysisFromWorker, AnalysisRunRequest } from './analysis-protocol';
import { serveCancellableRuns } from './cancellable-runs';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: AnalysisFromWorker) => scope.postMessage(m);
/** At most ~7 batches a second: each costs the main thread one store update and a repaint of the touched heatmaps. */
const BATCH_MS = 150;

async function run(req: AnalysisRunRequest, signal: AbortSignal): Promise<void> {
  let dispose = () => {};
  try {
    const byRole: Record<string, Checkpoint> = {};
    for (const inp of req.inputs) byRole[inp.role] = await reopenCheckpoint(inp.files);
    const { tasks, skipped } = planStatsTasks(req.plan, byRole, req.nameMaps);
    const chosen = await chooseEngine(req.engine === 'auto' ? {} : { force: req.engine });
    dispose = () => chosen.engine.dispose();
    const bytesTotal = tasks.reduce((s, t) => s + t.entries.reduce((b, e) => b + e.byteLength, 0), 0);
    post({ type: 'start', id: req.id, tensorsTotal: tasks.length, bytesTotal, skipped, engine: { kind: chosen.engine.kind, reason: chosen.reason } });
    let batch: TensorStats[] = [];
    let last: StatsProgress | null = null;
    let lastPost = 0;
    const flush = () => {
      if (batch.length === 0 || !last) return;
      post({ type: 'tensors', id: req.id, tensors: batch, progress: last });
      batch = [];
      lastPost = performance.now();
    };
    await runStats({
      plan: req.plan,
      tasks,
      engine: chosen.engine,
      signal,
      chunkElements: req.chunkElements,
      onTensor: (t) => batch.push(t),
      onProgress: (p) => {
        last = p;
        if (performance.now() - lastPost >= BATCH_MS) flush();
      },
    });
    flush();
    post({ type: 'done', id: req.id, progress: last });
  } catch (e) {
    if (signal.aborted) post({ type: 'cancelled', id: req.id });
    else post({ type: 'error', id: req.id, message: describeError(e) });
  } finally {
    dispose();
  }
}

serveCancellableRuns(scope, run);
