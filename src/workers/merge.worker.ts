/// <reference lib="webworker" />
/**
 * The merge Worker: reopens the role checkpoints from the user's Blobs, chooses the engine by
 * measurement (or as forced), and runs the streaming executor into a browser sink, posting throttled
 * progress. The main thread only paints; cancel aborts the executor, which aborts the sink.
 */
import { blobSource } from '../formats/byte-source';
import { describeError } from '../formats/errors';
import { chooseEngine } from '../compute/select';
import { runMerge } from '../merge/run';
import { exportLora } from '../merge/lora/export';
import { loraAsMergeResult, loraProgress } from '../merge/lora/summary';
import { hashBlobsInWorkers } from './hash-blobs';
import { cachedHashFiles } from './cached-hash-files';
import { idbHashCache } from './hash-cache-idb';
import { MergePlanError } from '../merge/plan';
import type { MergeInputs } from '../merge/types';
import { fsaSink, opfsSink, sweepOpfsRuns, type BrowserSink } from '../io/browser-sinks';
import { reopenCheckpoint } from './reopen';
import { serveCancellableRuns } from './cancellable-runs';
import { epochNow, progressThrottle, type EngineInfo, type FromWorker, type RunRequest, type RunTimings } from './merge-protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// Results of earlier page sessions are no longer reachable from any page: free their storage once.
let swept: Promise<unknown> | null = null;

function post(msg: FromWorker): void {
  scope.postMessage(msg);
}

function isAbort(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof DOMException && e.name === 'AbortError');
}

/** Blob of each input file, for the hash Workers (keyed by the source runMerge hands back). */
const blobOf = new WeakMap<object, Blob>();

async function openInputs(req: RunRequest): Promise<MergeInputs> {
  const inputs: MergeInputs = {};
  const models: MergeInputs['models'] = [];
  const files: NonNullable<MergeInputs['files']> = [];
  for (const r of req.inputs) {
    const ck = await reopenCheckpoint(r.files);
    if (r.role.startsWith('model:')) models[Number(r.role.slice(6))] = ck;
    else (inputs as Record<string, unknown>)[r.role] = ck;
    for (const f of r.files) {
      const source = blobSource(f.blob, f.path);
      blobOf.set(source, f.blob);
      files.push({ role: r.role, name: f.path, source });
    }
  }
  if (models.length) inputs.models = models;
  if (req.hashInputs) inputs.files = files;
  return inputs;
}

async function run(req: RunRequest, signal: AbortSignal): Promise<void> {
  let sink: BrowserSink | null = null;
  let disposeEngine = () => {};
  const timings: RunTimings = { received: epochNow() };
  try {
    const inputs = await openInputs(req);
    timings.opened = epochNow();
    const chosen = await chooseEngine(req.engine === 'auto' ? {} : { force: req.engine });
    disposeEngine = () => chosen.engine.dispose();
    const info: EngineInfo = { kind: chosen.engine.kind, reason: chosen.reason, measurements: chosen.measurements };
    timings.engine = epochNow();
    post({ type: 'engine', id: req.id, info });
    if (signal.aborted) throw new DOMException('cancelled', 'AbortError');

    if (req.sink.kind === 'opfs') await (swept ??= sweepOpfsRuns().catch(() => 0));
    sink =
      req.sink.kind === 'opfs'
        ? await opfsSink(`run-${Date.now().toString(36)}-${req.id}`)
        : req.sink.kind === 'fsa-file'
          ? fsaSink({ file: req.sink.handle })
          : fsaSink({ dir: req.sink.handle });
    const pass = progressThrottle(100);
    if (req.lora) {
      const started = performance.now();
      const lora = await exportLora({
        recipe: req.recipe, inputs, engine: chosen.engine, sink, signal, ...req.lora,
        onProgress: (p) => {
          const mp = loraProgress(p, started);
          if (pass(mp)) post({ type: 'progress', id: req.id, progress: mp });
        },
      });
      timings.merged = epochNow();
      const files = await sink.finished();
      timings.finished = epochNow();
      post({ type: 'done', id: req.id, result: loraAsMergeResult(lora), files, engine: info, sink: req.sink.kind, timings });
      return;
    }
    const result = await runMerge(req.recipe, inputs, {
      engine: chosen.engine,
      sink,
      fileName: req.fileName,
      signal,
      toolVersion: 'capvector-workbench (browser)',
      // Inputs hashed by an earlier merge (same path, size, lastModified) take their digest from IndexedDB.
      hashFiles: cachedHashFiles((s) => blobOf.get(s)!, hashBlobsInWorkers, req.hashCache === false ? null : idbHashCache()),
      onProgress: (p) => {
        if (p.phase !== 'done') timings[p.phase] ??= epochNow();
        if (pass(p)) post({ type: 'progress', id: req.id, progress: p });
      },
    });
    timings.merged = epochNow();
    const finished = await sink.finished();
    timings.finished = epochNow();
    const { files: _files, ...rest } = result;
    post({ type: 'done', id: req.id, result: rest, files: finished, engine: info, sink: req.sink.kind, timings });
  } catch (e) {
    // The executor aborts its sink itself; aborting again is harmless and covers failures before it ran.
    await sink?.abort().catch(() => undefined);
    if (isAbort(e, signal)) {
      post({ type: 'cancelled', id: req.id });
    } else if (e instanceof MergePlanError) {
      post({ type: 'refused', id: req.id, blocking: e.issues, message: e.message });
    } else {
      post({ type: 'error', id: req.id, message: describeError(e) });
    }
  } finally {
    disposeEngine();
  }
}

serveCancellableRuns(scope, run);
