import type { ChunkInput, Engine } from '../compute/engine';
import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import { numel, readTensorF32 } from '../formats/checkpoint';
import { dtypeSize, isComputeDType, isFloatDType } from '../formats/dtype';
import { alignCheckpoints, type AlignmentIssue } from '../model/align';
import { groupOf, parseLayerKey, type LayerKey } from '../model/layer-key';
import type { Acc } from './gram';
import { addInto, emptyAcc } from './gram';
import type { StatsPlan } from './plan';
import { statsSpec } from './plan';

/**
 * The statistics pass: tensor by tensor, chunk by chunk, the engine's `stats` over the plan's
 * vectors, float64 partials added per tensor. Memory is bounded by two chunks per role (the next
 * chunk is read while the engine works on the current one); nothing holds a whole model.
 */
export interface TensorStats {
  name: string;
  key: LayerKey;
  group: string;
  shape: number[];
  numel: number;
  /** dtype per role, in plan.roles order. */
  dtypes: string[];
  acc: Acc;
}

export interface SkippedTensor {
  name: string;
  reason: string;
}

export interface StatsProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Seconds since start. */
  elapsed: number;
  /** Estimated seconds left (null until something was read). */
  eta: number | null;
}

export interface StatsTask {
  name: string;
  entries: TensorEntry[];
}

export interface StatsTasks {
  tasks: StatsTask[];
  skipped: SkippedTensor[];
  issues: AlignmentIssue[];
}

/** Aligns the role checkpoints and keeps the float tensors present everywhere with one shape. */
export function planStatsTasks(plan: StatsPlan, byRole: Record<string, Checkpoint>): StatsTasks {
  const ordered: Record<string, Checkpoint> = {};
  for (const r of plan.roles) {
    if (!byRole[r]) throw new Error(`no checkpoint for role '${r}'`);
    ordered[r] = byRole[r];
  }
  const report = alignCheckpoints(ordered);
  const tasks: StatsTask[] = [];
  const skipped: SkippedTensor[] = [];
  for (const m of report.matched) {
    const entries = plan.roles.map((r) => m.entries[r]);
    const bad = entries.find((e) => !isFloatDType(e.dtype));
    if (bad) skipped.push({ name: m.name, reason: `${bad.dtype} is not a float dtype` });
    else tasks.push({ name: m.name, entries });
  }
  for (const i of report.issues) if (i.kind !== 'dtype') skipped.push({ name: i.name, reason: `${i.kind}: ${i.detail}` });
  return { tasks, skipped, issues: report.issues };
}

export class StatsCancelled extends Error {
  constructor() {
    super('statistics cancelled');
    this.name = 'AbortError';
  }
}

/** Default chunk: 2 Mi elements (8 MiB as f32 per role) keeps two chunks of four roles under 64 MiB. */
export const DEFAULT_CHUNK_ELEMENTS = 1 << 21;

async function readChunk(e: TensorEntry, first: number, count: number): Promise<ChunkInput> {
  if (isComputeDType(e.dtype)) {
    const size = dtypeSize(e.dtype);
    return { bytes: await e.read(first * size, count * size), dtype: e.dtype };
  }
  // Other float kinds (F64, F8, F4 …) are decoded to f32 first; the engine reads F32/F16/BF16 only.
  const f = await readTensorF32(e, first, count);
  return { bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength), dtype: 'F32' };
}

export interface RunStatsOptions {
  plan: StatsPlan;
  tasks: StatsTask[];
  engine: Engine;
  signal?: AbortSignal;
  chunkElements?: number;
  onTensor(t: TensorStats): void;
  onProgress?(p: StatsProgress): void;
  now?: () => number;
}

export async function runStats(o: RunStatsOptions): Promise<void> {
  const spec = statsSpec(o.plan);
  const now = o.now ?? (() => performance.now());
  const chunk = Math.max(1, Math.min(o.chunkElements ?? DEFAULT_CHUNK_ELEMENTS, o.engine.maxChunkElements));
  const bytesTotal = o.tasks.reduce((s, t) => s + t.entries.reduce((b, e) => b + e.byteLength, 0), 0);
  const t0 = now();
  let bytesDone = 0;
  const progress = (tensorsDone: number) => {
    const elapsed = (now() - t0) / 1000;
    const eta = bytesDone > 0 ? (elapsed * (bytesTotal - bytesDone)) / bytesDone : null;
    o.onProgress?.({ tensorsDone, tensorsTotal: o.tasks.length, bytesDone, bytesTotal, elapsed, eta });
  };
  progress(0);
  for (let ti = 0; ti < o.tasks.length; ti++) {
    const task = o.tasks[ti];
    if (o.signal?.aborted) throw new StatsCancelled();
    const n = numel(task.entries[0]);
    const acc = emptyAcc(o.plan);
    const read = (first: number) => Promise.all(task.entries.map((e) => readChunk(e, first, Math.min(chunk, n - first))));
    let next = n > 0 ? read(0) : null;
    for (let first = 0; first < n; first += chunk) {
      const inputs = await next!;
      next = first + chunk < n ? read(first + chunk) : null;
      if (o.signal?.aborted) {
        await next?.catch(() => undefined);
        throw new StatsCancelled();
      }
      addInto(acc, await o.engine.stats(inputs, spec));
      const count = Math.min(chunk, n - first);
      bytesDone += task.entries.reduce((s, e) => s + (e.byteLength * count) / n, 0);
    }
    const key = parseLayerKey(task.name);
    o.onTensor({
      name: task.name,
      key,
      group: groupOf(key),
      shape: task.entries[0].shape,
      numel: n,
      dtypes: task.entries.map((e) => e.dtype),
      acc,
    });
    progress(ti + 1);
  }
}
