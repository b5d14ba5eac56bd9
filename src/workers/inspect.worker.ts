/// <reference lib="webworker" />
/**
 * Per-tensor statistics off the main thread: reopens the checkpoint from its Blobs, streams the
 * tensor in chunks through tensor-stats (two passes: moments, then the histogram), posts progress
 * and stops between chunks when cancelled.
 */
import { computeTensorStats } from '../analysis/tensor-stats';
import { numel, readTensorF32, type Checkpoint } from '../formats/checkpoint';
import { describeError } from '../formats/errors';
import type { InspectRequest, InspectResponse, WorkerInputFile } from './protocol';
import { reopenCheckpoint } from './reopen';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const cancelled = new Set<number>();
class Cancelled extends Error {}

// The last checkpoint opened: clicking through tensors of one checkpoint parses its header once.
let cache: { key: string; ck: Promise<Checkpoint> } | undefined;
function open(key: string, inputs: WorkerInputFile[]): Promise<Checkpoint> {
  if (cache?.key !== key) cache = { key, ck: reopenCheckpoint(inputs) };
  const ck = cache.ck;
  ck.catch(() => { if (cache?.ck === ck) cache = undefined; });
  return ck;
}

const post = (m: InspectResponse) => scope.postMessage(m);

async function stats(req: Extract<InspectRequest, { type: 'stats' }>): Promise<void> {
  const ck = await open(req.key, req.inputs);
  const t = ck.tensors.find((x) => x.name === req.tensor);
  if (!t) throw new Error(`${ck.name}: no tensor named ${req.tensor}`);
  const n = numel(t);
  if (!Number.isFinite(n)) throw new Error(`${t.file}: tensor ${t.name} has an unrepresentable size`);
  const chunk = Math.max(1, req.chunkElements ?? 1 << 20);
  const total = 2 * n;
  let done = 0;
  let lastPost = 0;
  const chunks = async function* () {
    for (let first = 0; first < n; first += chunk) {
      if (cancelled.has(req.id)) throw new Cancelled();
      const data = await readTensorF32(t, first, Math.min(chunk, n - first));
      done += data.length;
      const now = performance.now();
      if (now - lastPost > 100 || done === total) {
        lastPost = now;
        post({ type: 'progress', id: req.id, done, total });
      }
      yield data;
    }
  };
  const result = await computeTensorStats(chunks, req.bins ?? 64);
  post({ type: 'result', id: req.id, stats: result });
}

scope.onmessage = (e: MessageEvent<InspectRequest>) => {
  const req = e.data;
  if (req.type === 'cancel') {
    cancelled.add(req.id);
    return;
  }
  stats(req).then(
    () => cancelled.delete(req.id),
    (err) => {
      const wasCancelled = err instanceof Cancelled || cancelled.delete(req.id);
      cancelled.delete(req.id);
      post(wasCancelled ? { type: 'cancelled', id: req.id } : { type: 'error', id: req.id, message: describeError(err) });
    },
  );
};
