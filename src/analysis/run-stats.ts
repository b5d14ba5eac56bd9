import type { Engine } from '../compute/engine';
import { adapterRoles, readInput } from '../merge/lora-sources';
import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import { numel } from '../formats/checkpoint';
import { oftOf } from '../formats/oft';
import { isFloatDType } from '../formats/dtype';
import { alignCheckpoints, type AlignmentIssue, type NameMapOverride } from '../model/align';
import { groupOf, parseLayerKey, type LayerKey } from '../model/layer-key';
import { layerOf, stackedLayout, type StackedLayout } from '../model/stacked';
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
  /** A stacked tensor's (key.stacked, ../model/stacked.ts) accumulators per layer on axis 0; they add up to acc. */
  layers?: Acc[];
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
  /** The name parsed into component/block/module when not `name` (an OpenVLA-OFT component file's tensors under its component). */
  keyName?: string;
}

export interface StatsTasks {
  tasks: StatsTask[];
  skipped: SkippedTensor[];
  issues: AlignmentIssue[];
}

/** Aligns the role checkpoints (name mappings set by hand in `nameMaps`) and keeps the float tensors present everywhere with one shape. */
export function planStatsTasks(plan: StatsPlan, byRole: Record<string, Checkpoint>, nameMaps: Readonly<Record<string, NameMapOverride>> = {}): StatsTasks {
  const given: Record<string, Checkpoint> = {};
  for (const r of plan.roles) {
    if (!byRole[r]) throw new Error(`no checkpoint for role '${r}'`);
    given[r] = byRole[r];
  }
  // A LoRA adapter's role is θ_pre + ΔW, so its τ is ΔW (formed per chunk by the engine).
  const { byRole: ordered, adapters, nameMaps: left } = adapterRoles(given, nameMaps);
  const fault = adapters.find((a) => a.fault);
  if (fault) throw new Error(fault.fault!);
  const report = alignCheckpoints(ordered, left);
  // An OpenVLA-OFT component file (action_head--….pt) names its tensors without the component: parse them under it.
  const oft = oftOf(ordered[plan.roles[0]].metadata);
  const tasks: StatsTask[] = [];
  const skipped: SkippedTensor[] = [];
  for (const m of report.matched) {
    const entries = plan.roles.map((r) => m.entries[r]);
    const bad = entries.find((e) => !isFloatDType(e.dtype));
    if (bad) skipped.push({ name: m.name, reason: `${bad.dtype} is not a float dtype` });
    else tasks.push({ name: m.name, entries, ...(oft ? { keyName: `${oft}.${m.name}` } : {}) });
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

export interface RunStatsOptions {
  plan: StatsPlan;
  tasks: StatsTask[];
  engine: Engine;
  signal?: AbortSignal;
  chunkElements?: number;
  /**
   * Chunks whose statistics are computed at once (default: the engine's worker count + 1 for a pool
   * engine with `workers`, else 1). Results are still added in chunk order, so the numbers do not
   * depend on it; memory is about concurrency + 1 chunk sets.
   */
  concurrency?: number;
  onTensor(t: TensorStats): void;
  onProgress?(p: StatsProgress): void;
  now?: () => number;
}

interface Job {
  ti: number;
  first: number;
  count: number;
}

export async function runStats(o: RunStatsOptions): Promise<void> {
  const spec = statsSpec(o.plan);
  const now = o.now ?? (() => performance.now());
  const chunk = Math.max(1, Math.min(o.chunkElements ?? DEFAULT_CHUNK_ELEMENTS, o.engine.maxChunkElements));
  const workers = (o.engine as { workers?: unknown }).workers;
  const depth = Math.max(1, Math.floor(o.concurrency ?? (typeof workers === 'number' ? workers + 1 : 1)));
  const bytesTotal = o.tasks.reduce((s, t) => s + t.entries.reduce((b, e) => b + e.byteLength, 0), 0);
  const t0 = now();
  let bytesDone = 0;
  const progress = (tensorsDone: number) => {
    const elapsed = (now() - t0) / 1000;
    const eta = bytesDone > 0 ? (elapsed * (bytesTotal - bytesDone)) / bytesDone : null;
    o.onProgress?.({ tensorsDone, tensorsTotal: o.tasks.length, bytesDone, bytesTotal, elapsed, eta });
  };
  progress(0);

  // Jobs in tensor order (an empty tensor is one empty job), made lazily: a 7B model has thousands.
  const numels = o.tasks.map((t) => numel(t.entries[0]));
  // A stacked tensor's chunks stop at its layer boundaries, so each chunk adds into one layer.
  const stacks = new Map<number, StackedLayout>();
  const layoutOf = (ti: number) => {
    if (!stacks.has(ti)) {
      const s = stackedLayout(o.tasks[ti].name, o.tasks[ti].entries[0].shape);
      if (s) stacks.set(ti, s);
    }
    return stacks.get(ti) ?? null;
  };
  let nextTi = 0, nextFirst = 0;
  const nextJob = (): Job | null => {
    while (nextTi < o.tasks.length) {
      const n = numels[nextTi];
      if (n === 0 || nextFirst < n) {
        const s = layoutOf(nextTi);
        const end = s ? Math.min(n, (layerOf(s, nextFirst) + 1) * s.perLayer) : n;
        const job = { ti: nextTi, first: nextFirst, count: Math.min(chunk, end - nextFirst) };
        nextFirst += job.count;
        if (nextFirst >= n) {
          nextTi++;
          nextFirst = 0;
        }
        return job;
      }
      nextTi++;
      nextFirst = 0;
    }
    return null;
  };
  // A job's read starts as soon as it enters the window and its statistics as soon as the read is in:
  // reads overlap computation, and a pool engine works on several chunks at once.
  const start = (job: Job) => {
    const entries = o.tasks[job.ti].entries;
    const r = job.count === 0
      ? Promise.resolve(null)
      : Promise.all(entries.map((e) => readInput(o.engine, e, job.first, job.count))).then((inputs) => (o.signal?.aborted ? null : o.engine.stats(inputs, spec)));
    r.catch(() => undefined); // rethrown when awaited in order
    return { job, result: r };
  };
  const window: ReturnType<typeof start>[] = [];
  const fill = () => {
    while (window.length < depth + 1) {
      const job = nextJob();
      if (!job) break;
      window.push(start(job));
    }
  };
  const cancel = async () => {
    await Promise.all(window.map((w) => w.result.catch(() => undefined)));
    throw new StatsCancelled();
  };
  let acc = o.tasks.length ? emptyAcc(o.plan) : null;
  let layerAccs: Acc[] | null = null;
  if (o.signal?.aborted) throw new StatsCancelled();
  fill();
  while (window.length) {
    const { job, result } = window.shift()!;
    const r = await result;
    if (o.signal?.aborted) await cancel();
    fill();
    const task = o.tasks[job.ti];
    const n = numels[job.ti];
    const stack = layoutOf(job.ti);
    if (stack && job.first === 0) layerAccs = Array.from({ length: stack.layers }, () => emptyAcc(o.plan));
    if (r) {
      addInto(acc!, r);
      if (stack) addInto(layerAccs![layerOf(stack, job.first)], r);
      bytesDone += task.entries.reduce((s, e) => s + (e.byteLength * job.count) / n, 0);
    }
    if (job.first + job.count >= n) {
      const key = parseLayerKey(task.keyName ?? task.name);
      o.onTensor({
        name: task.name,
        key,
        group: groupOf(key),
        shape: task.entries[0].shape,
        numel: n,
        dtypes: task.entries.map((e) => e.dtype),
        acc: acc!,
        ...(stack ? { layers: layerAccs! } : {}),
      });
      acc = emptyAcc(o.plan);
      stacks.delete(job.ti);
      progress(job.ti + 1);
    }
  }
}
