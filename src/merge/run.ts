/**
 * The streaming executor (CLI and browser Worker): tensor by tensor in the base checkpoint's order, big
 * tensors in chunks, the next chunk's reads in flight while this one computes, each output chunk written
 * as soon as it is ready. Memory is a few chunks whatever the model size. A failure or cancel aborts
 * the sink, so nothing that looks complete is left behind.
 *
 * The parts: ./merge-jobs.ts (chunks, reads, each tensor's op), ./compute-job.ts (engine calls through
 * the op table, passes over whole tensors), ./shard-writer.ts (files, write queue, hashes in headers),
 * ./input-hashes.ts, ./merge-progress.ts.
 */
import type { ChunkInput } from '../compute/engine';
import { computeJob, type JobContext } from './compute-job';
import { hashInputs } from './input-hashes';
import { chunkJobs, endsTensor, extraReadBytes, rawCopies, readJob, tensorOps, type Job } from './merge-jobs';
import { progressReporter, startProgress } from './merge-progress';
import { planMerge, type PlanDetail } from './plan';
import type { InputHash, LayoutOptions } from './safetensors-writer';
import { ShardWriter } from './shard-writer';
import type { MergeInputs, MergeResult, Recipe, RunOptions } from './types';

export const TOOL_VERSION = 'capvector-workbench 0.1.0';
const DEFAULT_CHUNK_BYTES = 32 << 20;

function abortError(signal?: AbortSignal): Error {
  const r = signal?.reason;
  if (r instanceof Error) return r;
  const e = new Error('the merge was cancelled');
  e.name = 'AbortError';
  return e;
}

function layoutOptions(recipe: Recipe, plan: PlanDetail, inputs: MergeInputs, opts: RunOptions): LayoutOptions {
  return {
    shardSize: recipe.shardSize,
    fileName: opts.fileName,
    metadata: {
      'capvector.tool': opts.toolVersion ?? TOOL_VERSION,
      'capvector.method': recipe.method,
      'capvector.recipe': JSON.stringify(recipe),
      ...plan.method.metadata,
    },
    hashes: (inputs.files ?? []).map((f): InputHash => ({ role: f.role, name: f.name, sha256: null })),
  };
}

export async function runMerge(recipe: Recipe, inputs: MergeInputs, opts: RunOptions): Promise<MergeResult> {
  const started = performance.now();
  const { engine, sink, signal } = opts;
  const plan = planMerge(recipe, inputs);
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // 4 bytes an element: a chunk of any input, decoded to F32 if need be, stays within chunkBytes.
  const chunkElems = Math.max(1, Math.min(engine.maxChunkElements, opts.chunkElements ?? Infinity, Math.floor(chunkBytes / 4)));
  const files = inputs.files ?? [];
  const raw = rawCopies(plan);
  const jobs = chunkJobs(plan, raw, chunkElems, chunkBytes);
  const ops = tensorOps(plan, raw, inputs.models?.length ?? 0);

  let stopped = false;
  const check = () => {
    if (signal?.aborted || stopped) throw abortError(signal);
  };
  const progress = startProgress(0, plan.tensors.length);
  const report = progressReporter(progress, started, opts.onProgress);
  const onRead = (n: number) => {
    progress.bytesRead += n;
  };
  const writerTensors = plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength }));
  const writer = new ShardWriter(sink, writerTensors, layoutOptions(recipe, plan, inputs, opts), progress, report,
    files.length ? () => hashInputs(files, opts, { progress, report, check }) : null);
  const { layout } = writer;
  progress.totalBytes = plan.inputBytes + extraReadBytes(plan, ops, chunkElems) + files.reduce((s, f) => s + f.source.size, 0) +
    layout.shards.reduce((s, x) => s + x.size, 0) + (layout.index?.bytes.length ?? 0);
  const ctx: JobContext = { engine, plan, ops, chunkElems, io: { check, onRead, report }, perTensor: new Map() };

  try {
    check();
    // Outputs are written in job order; up to `depth` computations run at once (a pool engine uses
    // them, an in-thread engine gets depth 1). Memory: depth + 1 chunk sets of inputs, depth outputs.
    const depth = Math.max(1, Math.floor(opts.concurrency ?? 1));
    const inflight: { job: Job; out: Promise<Uint8Array> }[] = [];
    const drainOne = async () => {
      const { job, out } = inflight.shift()!;
      const bytes = await out;
      check();
      await writer.enter(job.tensor);
      progress.currentTensor = plan.tensors[job.tensor].name;
      await writer.append(bytes);
      if (endsTensor(plan, raw, job)) progress.tensorsDone += 1;
      report();
    };
    let next: Promise<ChunkInput[]> | null = jobs.length ? readJob(plan, raw, jobs[0], onRead) : null;
    if (jobs.length === 0) await writer.openFirst(); // an output without tensors is still a file
    for (let n = 0; n < jobs.length; n++) {
      check();
      const job = jobs[n];
      const chunk = await next!;
      // Double buffering: the next chunk's reads run while this one computes and writes.
      next = n + 1 < jobs.length ? readJob(plan, raw, jobs[n + 1], onRead) : null;
      next?.catch(() => undefined); // its error is rethrown when awaited
      const out = computeJob(ctx, job, chunk);
      out.catch(() => undefined); // rethrown by drainOne
      // Raw copies write their input as the output; every other job is done with its inputs here.
      if (opts.recycle && !raw[job.tensor]) out.then(() => opts.recycle!(chunk), () => undefined);
      inflight.push({ job, out });
      while (inflight.length >= depth) await drainOne();
    }
    while (inflight.length) await drainOne();
    await writer.closeShards();
    check();
    await writer.writeIndexAndExtras(opts.extraFiles ?? []);
    progress.phase = 'committing';
    report(true);
    await sink.commit();
  } catch (e) {
    stopped = true;
    await writer.settle();
    await sink.abort().catch(() => undefined);
    throw e;
  }
  progress.phase = 'done';
  report(true);
  const done = writer.layout;
  const copied = plan.tensors.filter((t) => t.action.kind === 'copy').length;
  return {
    files: [...done.shards.map((s) => ({ name: s.name, bytes: s.size })), ...(done.index ? [{ name: done.index.name, bytes: done.index.bytes.length }] : [])],
    tensors: plan.tensors.length,
    merged: plan.tensors.length - copied,
    copied,
    bytesRead: progress.bytesRead,
    bytesWritten: progress.bytesWritten,
    seconds: (performance.now() - started) / 1000,
    inputHashes: files.map((f, i) => ({ role: f.role, name: f.name, sha256: writer.hashes[i] })).filter((h) => h.sha256),
    notes: plan.notes,
    engine: engine.kind,
  };
}
