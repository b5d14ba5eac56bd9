/**
 * The streaming executor (CLI and browser Worker): tensor by tensor in the base checkpoint's order, big
 * tensors in chunks, the next chunk's reads in flight while this one computes, each output chunk written
 * as soon as it is ready. Memory is a few chunks whatever the model size. A failure or cancel aborts
 * the sink, so nothing that looks complete is left behind.
 */
import type { ChunkInput } from '../compute/engine';
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
import { decodeToF32, dtypeSize, isComputeDType, type ComputeDType } from '../formats/dtype';
import type { TensorOp } from './define';
import { absDeltaBits, kthFromChunks, kthFromSingleChunk, thresholdForK, topK } from './kth-largest';
import { planMerge, type PlanDetail } from './plan';
import { layoutSafetensors, withHashes, type InputHash, type LayoutOptions, type OutputLayout } from './safetensors-writer';
import { createSha256 } from './sha256';
import type { Hasher, MergeInputs, MergeProgress, MergeResult, OutputFile, Recipe, RunOptions } from './types';

export const TOOL_VERSION = 'capvector-workbench 0.1.0';
const DEFAULT_CHUNK_BYTES = 32 << 20;
const HASH_BLOCK = 8 << 20;

interface Job {
  tensor: number;
  first: number;
  count: number;
}

/** FNV-1a of a string: the DARE salt of (tensor name, model index), stable across runs and engines. */
export function dareSalt(tensor: string, model: number): number {
  let h = 0x811c9dc5;
  const s = `${tensor}#${model}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function abortError(signal?: AbortSignal): Error {
  const r = signal?.reason;
  if (r instanceof Error) return r;
  const e = new Error('the merge was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Reads elements [first, first+count) of an entry as a compute chunk (non-compute floats decoded to F32). */
async function readChunk(e: TensorEntry, first: number, count: number): Promise<ChunkInput> {
  if (isComputeDType(e.dtype)) {
    const size = dtypeSize(e.dtype);
    return { bytes: await e.read(first * size, count * size), dtype: e.dtype };
  }
  const f = await readTensorF32(e, first, count);
  return { bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength), dtype: 'F32' };
}

const asF32 = (c: ChunkInput) => decodeToF32(c.dtype, c.bytes);

export async function runMerge(recipe: Recipe, inputs: MergeInputs, opts: RunOptions): Promise<MergeResult> {
  const started = performance.now();
  const { engine, sink, signal } = opts;
  const plan = planMerge(recipe, inputs);
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // 4 bytes an element: a chunk of any input, decoded to F32 if need be, stays within chunkBytes.
  const chunkElems = Math.max(1, Math.min(engine.maxChunkElements, opts.chunkElements ?? Infinity, Math.floor(chunkBytes / 4)));

  const writerTensors = plan.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength }));
  const files = inputs.files ?? [];
  const layoutOpts: LayoutOptions = {
    shardSize: recipe.shardSize,
    fileName: opts.fileName,
    metadata: {
      'capvector.tool': opts.toolVersion ?? TOOL_VERSION,
      'capvector.method': recipe.method,
      'capvector.recipe': JSON.stringify(recipe),
      ...plan.method.metadata,
    },
    hashes: files.map((f): InputHash => ({ role: f.role, name: f.name, sha256: null })),
  };
  let layout: OutputLayout = layoutSafetensors(writerTensors, layoutOpts);

  // Jobs: every tensor split into chunks; empty tensors still get one (empty) job.
  // Raw copies (same dtype in and out) go by byte ranges, so any dtype (integers, packed F4) copies exactly.
  const raw = plan.tensors.map((t, i) => t.action.kind === 'copy' && t.dtype === plan.sources[i][0].dtype);
  const jobs: Job[] = [];
  plan.tensors.forEach((t, i) => {
    const total = raw[i] ? t.byteLength : t.numel;
    const step = raw[i] ? chunkBytes : chunkElems;
    if (total === 0) jobs.push({ tensor: i, first: 0, count: 0 });
    for (let f = 0; f < total; f += step) jobs.push({ tensor: i, first: f, count: Math.min(step, total - f) });
  });
  const ops: (TensorOp | null)[] = plan.tensors.map((t) =>
    t.action.kind === 'merge' ? plan.method.op({ name: t.name, params: t.params, modelCount: inputs.models?.length ?? 0 }) : null,
  );

  // Progress accounting.
  const hashBytes = files.reduce((s, f) => s + f.source.size, 0);
  const tiesExtra = plan.tensors.reduce((s, t, i) => {
    const op = ops[i];
    if (op?.kind !== 'ties' || t.numel <= chunkElems) return s;
    return s + 2 * plan.sources[i].reduce((a, e) => a + e.byteLength, 0);
  }, 0);
  const progress: MergeProgress = {
    phase: 'merging', bytesRead: 0, bytesWritten: 0,
    totalBytes: plan.inputBytes + tiesExtra + hashBytes + layout.shards.reduce((s, x) => s + x.size, 0) + (layout.index?.bytes.length ?? 0),
    tensorsDone: 0, tensorCount: plan.tensors.length, rate: 0, etaSeconds: NaN, currentTensor: '',
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!opts.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    const secs = (now - started) / 1000;
    const done = progress.bytesRead + progress.bytesWritten;
    progress.rate = secs > 0 ? done / secs : 0;
    progress.etaSeconds = progress.rate > 0 ? Math.max(0, progress.totalBytes - done) / progress.rate : NaN;
    opts.onProgress({ ...progress });
  };

  let stopped = false;
  const check = () => {
    if (signal?.aborted) throw abortError(signal);
    if (stopped) throw abortError(signal);
  };

  const hashAll = async (): Promise<string[]> => {
    if (opts.hashFiles) {
      return opts.hashFiles(files, (n) => {
        progress.bytesRead += n;
        if (progress.phase === 'hashing') report();
      }, signal);
    }
    const make = opts.createHasher ?? createSha256;
    const out: string[] = [];
    for (const f of files) {
      const h: Hasher = make();
      for (let off = 0; off < f.source.size; off += HASH_BLOCK) {
        check();
        const bytes = await f.source.read(off, Math.min(HASH_BLOCK, f.source.size - off));
        h.update(bytes);
        progress.bytesRead += bytes.length;
        // Hashing can outlast the merge itself (it reads every input once more): keep progress moving.
        if (progress.phase === 'hashing') report();
      }
      out.push(h.digest());
    }
    return out;
  };

  const open: OutputFile[] = [];
  const hashing: { promise: Promise<string[]> | null } = { promise: null };
  let hashes: string[] = [];
  let pendingWrite: Promise<void> = Promise.resolve();
  const thresholds = new Map<number, Promise<number[]>>();
  let currentShard = -1;
  const write = (bytes: Uint8Array) => {
    const file = open[currentShard];
    const prev = pendingWrite;
    pendingWrite = prev.then(() => file.write(bytes)).then(() => {
      progress.bytesWritten += bytes.length;
    });
    return prev; // the caller waits for the write before the previous one, so at most one is queued
  };

  const readJob = async (job: Job): Promise<ChunkInput[]> => {
    const srcs = plan.sources[job.tensor];
    const t = plan.tensors[job.tensor];
    if (raw[job.tensor]) {
      const bytes = await srcs[0].read(job.first, job.count);
      progress.bytesRead += bytes.length;
      return [{ bytes, dtype: 'F32' }]; // dtype unused: written as is
    }
    const list = t.action.kind === 'copy' ? srcs.slice(0, 1) : srcs;
    const chunks = await Promise.all(list.map((e) => readChunk(e, job.first, job.count)));
    for (const c of chunks) progress.bytesRead += c.bytes.length;
    return chunks;
  };

  const tiesThresholds = async (i: number, op: Extract<TensorOp, { kind: 'ties' }>, firstChunk: ChunkInput[] | null): Promise<number[]> => {
    const t = plan.tensors[i];
    const out: number[] = [];
    for (let j = 0; j < op.spec.terms.length; j++) {
      const { a, b } = op.spec.terms[j];
      const k = topK(op.densities[j], t.numel);
      const mode = thresholdForK(k, t.numel);
      if (mode !== 'select') {
        out.push(mode === 'all' ? 0 : Infinity);
        continue;
      }
      if (firstChunk && t.numel <= chunkElems) {
        const bits = absDeltaBits(asF32(firstChunk[a]), b === null ? null : asF32(firstChunk[b]), new Uint32Array(t.numel));
        out.push(kthFromSingleChunk(bits, k));
        continue;
      }
      const ea = plan.sources[i][a], eb = b === null ? null : plan.sources[i][b];
      const scratch = new Uint32Array(Math.min(chunkElems, t.numel));
      out.push(
        await kthFromChunks(async (visit) => {
          for (let f = 0; f < t.numel; f += chunkElems) {
            check();
            const n = Math.min(chunkElems, t.numel - f);
            const [ca, cb] = await Promise.all([readChunk(ea, f, n), eb ? readChunk(eb, f, n) : Promise.resolve(null)]);
            progress.bytesRead += ca.bytes.length + (cb?.bytes.length ?? 0);
            visit(absDeltaBits(asF32(ca), cb ? asF32(cb) : null, scratch.subarray(0, n)));
            report();
          }
        }, k),
      );
    }
    return out;
  };

  const compute = async (job: Job, chunk: ChunkInput[]): Promise<Uint8Array> => {
    const t = plan.tensors[job.tensor];
    const op = ops[job.tensor];
    const outDtype = t.dtype as ComputeDType;
    if (job.count === 0) return new Uint8Array(0);
    if (!op) {
      if (raw[job.tensor]) return chunk[0].bytes;
      return engine.combine(chunk, { base: 0, terms: [], scale: 1, outDtype });
    }
    if (op.kind === 'combine') return engine.combine(chunk, { ...op.spec, outDtype });
    if (op.kind === 'ties') {
      // One selection per tensor, shared by its chunks even when several are in flight.
      let th = thresholds.get(job.tensor);
      if (!th) {
        th = tiesThresholds(job.tensor, op, job.first === 0 ? chunk : null);
        thresholds.set(job.tensor, th);
      }
      return engine.ties(chunk, { ...op.spec, thresholds: await th, outDtype });
    }
    const salts = op.spec.terms.map((_, j) => dareSalt(t.name, j));
    return engine.dare(chunk, { ...op.spec, salts, firstElement: job.first, outDtype });
  };

  const closeAll = async () => {
    for (const f of open) await f.close();
  };

  try {
    check();
    const openShard = async (k: number) => {
      if (k === 0 && files.length) {
        const f0 = await sink.createFile(layout.shards[0].name, layout.shards[0].size);
        open.push(f0);
        if (f0.writeAt) hashing.promise = hashAll();
        else {
          // No random access: hash first so the header is final when written.
          progress.phase = 'hashing';
          hashes = await hashAll();
          layout = withHashes(writerTensors, layout, { ...layoutOpts, hashes: layoutOpts.hashes.map((h, i) => ({ ...h, sha256: hashes[i] })) });
          progress.phase = 'merging';
        }
      } else {
        // Files are kept open until the end only when their header still needs the hashes.
        if (!hashing.promise && currentShard >= 0) {
          await pendingWrite;
          await open[currentShard].close();
        }
        open.push(await sink.createFile(layout.shards[k].name, layout.shards[k].size));
      }
      currentShard = k;
      await write(layout.shards[k].header);
    };

    // Outputs are written in job order; up to `depth` computations run at once (a pool engine uses
    // them, an in-thread engine gets depth 1). Memory: depth + 1 chunk sets of inputs, depth outputs.
    const depth = Math.max(1, Math.floor(opts.concurrency ?? 1));
    const inflight: { job: Job; out: Promise<Uint8Array> }[] = [];
    const drainOne = async () => {
      const { job, out } = inflight.shift()!;
      const bytes = await out;
      check();
      const shard = layout.shardOf[job.tensor];
      if (shard !== currentShard) await openShard(shard);
      progress.currentTensor = plan.tensors[job.tensor].name;
      await write(bytes);
      if (job.first + job.count >= (raw[job.tensor] ? plan.tensors[job.tensor].byteLength : plan.tensors[job.tensor].numel)) progress.tensorsDone += 1;
      report();
    };
    let next: Promise<ChunkInput[]> | null = jobs.length ? readJob(jobs[0]) : null;
    if (jobs.length === 0) await openShard(0);
    for (let n = 0; n < jobs.length; n++) {
      check();
      const job = jobs[n];
      const chunk = await next!;
      // Double buffering: the next chunk's reads run while this one computes and writes.
      next = n + 1 < jobs.length ? readJob(jobs[n + 1]) : null;
      next?.catch(() => undefined); // its error is rethrown when awaited
      const out = compute(job, chunk);
      out.catch(() => undefined); // rethrown by drainOne
      // Raw copies write their input as the output; every other job is done with its inputs here.
      if (opts.recycle && !raw[job.tensor]) out.then(() => opts.recycle!(chunk), () => undefined);
      inflight.push({ job, out });
      while (inflight.length >= depth) await drainOne();
    }
    while (inflight.length) await drainOne();
    await pendingWrite;
    if (hashing.promise) {
      progress.phase = 'hashing';
      report(true);
      hashes = await hashing.promise;
      layout = withHashes(writerTensors, layout, { ...layoutOpts, hashes: layoutOpts.hashes.map((h, i) => ({ ...h, sha256: hashes[i] })) });
      for (let k = 0; k < open.length; k++) await open[k].writeAt!(0, layout.shards[k].header);
      await closeAll();
    } else if (currentShard >= 0) await open[currentShard].close();
    check();
    if (layout.index) {
      const f = await sink.createFile(layout.index.name, layout.index.bytes.length);
      await f.write(layout.index.bytes);
      await f.close();
      progress.bytesWritten += layout.index.bytes.length;
    }
    for (const x of opts.extraFiles ?? []) {
      const f = await sink.createFile(x.name, x.bytes.length);
      await f.write(x.bytes);
      await f.close();
    }
    progress.phase = 'committing';
    report(true);
    await sink.commit();
  } catch (e) {
    stopped = true;
    await hashing.promise?.catch(() => undefined);
    await pendingWrite.catch(() => undefined);
    await sink.abort().catch(() => undefined);
    throw e;
  }
  progress.phase = 'done';
  report(true);
  const copied = plan.tensors.filter((t) => t.action.kind === 'copy').length;
  return {
    files: [...layout.shards.map((s) => ({ name: s.name, bytes: s.size })), ...(layout.index ? [{ name: layout.index.name, bytes: layout.index.bytes.length }] : [])],
    tensors: plan.tensors.length,
    merged: plan.tensors.length - copied,
    copied,
    bytesRead: progress.bytesRead,
    bytesWritten: progress.bytesWritten,
    seconds: (performance.now() - started) / 1000,
    inputHashes: files.map((f, i) => ({ role: f.role, name: f.name, sha256: hashes[i] })).filter((h) => h.sha256),
    notes: plan.notes,
    engine: engine.kind,
  };
}

export type { PlanDetail };
