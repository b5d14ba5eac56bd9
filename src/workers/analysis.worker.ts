/// <reference lib="webworker" />
/**
 * The analysis Worker: reopens the role checkpoints from the user's Blobs, chooses the engine, and
 * streams per-tensor statistics back in batches (at most one per BATCH_MS), so the main thread
 * only merges small arrays and repaints a canvas. Cancel aborts between chunks. With `spectral`, the
 * low-rank pass follows over the same tasks (one γ matrix in float64 at a time), its spectra streamed
 * the same way.
 */
import { describeError } from '../formats/errors';
import type { Checkpoint } from '../formats/checkpoint';
import { chooseEngine } from '../compute/select';
import { planStatsTasks, runStats, type StatsProgress, type TensorStats } from '../analysis/run-stats';
import { runSpectral, SPECTRAL_SEED, spectralBytes, type TensorSpectral } from '../analysis/run-spectral';
import { alphaFor } from '../analysis/aggregate';
import { matrixView } from '../analysis/stacked-split';
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
    // Each tensor's layer, for its α in the spectral pass's Δ.
    const layerOf = new Map<string, { group: string; block: number | null }>();
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
      onTensor: (t) => {
        batch.push(t);
        if (req.spectral) layerOf.set(t.name, { group: t.group, block: t.key.block });
      },
      onProgress: (p) => {
        last = p;
        if (performance.now() - lastPost >= BATCH_MS) flush();
      },
    });
    flush();
    if (req.spectral) {
      const sp = req.spectral;
      post({ type: 'spectral-start', id: req.id, tensorsTotal: tasks.filter((t) => matrixView(t.entries[0].shape, t.name)).length, bytesTotal: spectralBytes(tasks) });
      let spectra: TensorSpectral[] = [];
      let lastS: StatsProgress | null = null;
      lastPost = 0;
      const flushS = () => {
        if (spectra.length === 0 || !lastS) return;
        post({ type: 'spectra', id: req.id, spectra, progress: lastS });
        spectra = [];
        lastPost = performance.now();
      };
      await runSpectral({
        plan: req.plan, tasks, k: sp.k, powerIterations: sp.powerIterations, seed: SPECTRAL_SEED, signal, chunkElements: req.chunkElements,
        // The statistics' engine: on WebGPU the SVD's products run as WGSL kernels (src/compute/linalg/).
        engine: chosen.engine,
        tauOverlap: sp.tauOverlap, gammaProjections: true,
        // A stacked tensor without a block of its own shows each layer in that layer's row (spectral-grid.ts): that row's α.
        alpha: (name, layer) => {
          const l = layerOf.get(name);
          return l ? alphaFor(sp.alpha, l.group, l.block === null && layer !== undefined ? layer : l.block) : sp.alpha.global;
        },
        onTensor: (t) => spectra.push(t),
        onProgress: (p) => {
          lastS = p;
          if (performance.now() - lastPost >= BATCH_MS) flushS();
        },
      });
      flushS();
    }
    post({ type: 'done', id: req.id, progress: last });
  } catch (e) {
    if (signal.aborted) post({ type: 'cancelled', id: req.id });
    else post({ type: 'error', id: req.id, message: describeError(e) });
  } finally {
    dispose();
  }
}

serveCancellableRuns(scope, run);
