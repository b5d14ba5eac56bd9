/**
 * Runs a merge recipe from the command line: opens the roles, runs the CPU engine (in worker threads)
 * into a Node sink with a progress line, and prints the summary.
 */
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import type { Checkpoint } from '../formats/checkpoint';
import { CpuEngine } from '../compute/cpu-engine';
import { expandPaths, openPaths } from '../node/paths';
import { closeAll, recycleReads, shareReads, type FileSource } from '../node/file-source';
import { hashFilesInWorkers } from '../node/hash-files';
import { fileHashCache, fileStamp } from '../node/hash-cache-file';
import { hashWithCache } from '../merge/hash-cache';
import { cpuPool } from '../node/cpu-pool';
import { fileSink } from '../node/file-sink';
import { MergePlanError } from '../merge/plan';
import { recipeToJson, recipeToMergekitYaml } from '../merge/recipe-yaml';
import { runMerge } from '../merge/run';
import type { MergeInputs, MergeProgress, Recipe } from '../merge/types';
import { formatBytes, formatRate } from '../text/bytes';
import { one, type Args } from './args';
import { UsageError, type CliIO } from './io';

/** Options every merge command takes besides its roles and parameters. */
export const RUN_OPTIONS = ['out', 'dtype', 'shard-size', 'include', 'exclude', 'param', 'chunk-mb', 'threads', 'map'];
export const RUN_SWITCHES = ['no-hash', 'no-hash-cache', 'json', 'quiet', 'progress', 'no-recipe-files', 'include-buffers'];

/** Where the output goes: a folder (sink dir, default file name) or a file (its folder, its name). */
export async function outputTarget(out: string): Promise<{ dir: string; fileName: string; isDir: boolean }> {
  const abs = resolve(out);
  const s = await stat(abs).catch(() => null);
  const isDir = s?.isDirectory() || out.endsWith('/') || (!out.endsWith('.safetensors') && !s);
  if (isDir) return { dir: abs, fileName: 'model.safetensors', isDir: true };
  if (!out.endsWith('.safetensors')) throw new UsageError(`--out must be a folder or a .safetensors file (got '${out}')`);
  return { dir: dirname(abs), fileName: basename(abs), isDir: false };
}

/** A refused plan: its first line as the `error:` line, then one line per tensor at fault; exit 1. */
export function reportPlanError(e: MergePlanError, io: CliIO): number {
  const [first, ...rest] = e.describe();
  io.err(`error: ${first}`);
  for (const l of rest) io.err(l);
  return 1;
}

export interface ExecuteSpec {
  recipe: Recipe;
  /** Role → path for the single roles (pre, aux, sft, vector). */
  rolePaths: Record<string, string | undefined>;
  modelPaths: string[];
  out: string;
  parsed: Args;
}

/** Opens the inputs, runs the merge with the CPU engine into a Node sink, prints progress and a summary. */
export async function execute(spec: ExecuteSpec, io: CliIO): Promise<number> {
  const { recipe, parsed } = spec;
  const inputs: MergeInputs = {};
  const files: NonNullable<MergeInputs['files']> = [];
  const hash = !parsed.switches.has('no-hash');
  // The CpuEngine in worker threads (1M-element chunks keep each worker's scratch small), the main
  // thread left to reading and writing: two workers are fastest even on two cores (measured: 0.97 s
  // against 1.04 s with one on the merge bench). Workers start while the inputs open.
  const threadsOpt = one(parsed, 'threads');
  const threads = threadsOpt !== undefined ? Number(threadsOpt) : Math.min(6, Math.max(2, availableParallelism() - 1));
  if (!Number.isInteger(threads) || threads < 0) throw new UsageError('--threads must be a whole number (0 = compute on the main thread)');
  const pool = threads > 0 ? cpuPool(threads, 1 << 20) : null;
  pool?.catch(() => undefined); // awaited (and its error reported) below
  try {
    // Every input opened together, so that no two share a display name.
    const roles = Object.entries(spec.rolePaths).filter((e): e is [string, string] => !!e[1]);
    const opened = await openPaths([...roles.map(([, p]) => p), ...spec.modelPaths]);
    for (const [k, [role, path]] of roles.entries()) {
      (inputs as Record<string, Checkpoint>)[role] = opened[k];
      if (hash) for (const src of (await expandPaths([path]))[0]) files.push({ role, name: src.name, source: src });
    }
    if (spec.modelPaths.length) {
      inputs.models = [];
      for (const [i, path] of spec.modelPaths.entries()) {
        inputs.models.push(opened[roles.length + i]);
        if (hash) for (const src of (await expandPaths([path]))[0]) files.push({ role: `model:${i}`, name: src.name, source: src });
      }
    }
    if (hash) inputs.files = files;
    const target = await outputTarget(spec.out);
    const sink = fileSink(target.dir);
    const keepDtype = inputs.pre?.tensors.find((t) => t.dtype === 'BF16' || t.dtype === 'F16' || t.dtype === 'F32')?.dtype;
    const extraFiles = target.isDir && !parsed.switches.has('no-recipe-files')
      ? [
          { name: 'capvector-recipe.json', bytes: new TextEncoder().encode(recipeToJson(recipe)) },
          { name: 'mergekit.yaml', bytes: new TextEncoder().encode(recipeToMergekitYaml(recipe, { keepDtype })) },
        ]
      : [];
    const ac = new AbortController();
    const onSig = () => ac.abort(Object.assign(new Error('cancelled (interrupt): no output was left behind'), { name: 'AbortError' }));
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const tty = !!process.stderr.isTTY && !parsed.switches.has('quiet');
    const chunkMb = one(parsed, 'chunk-mb');
    const engine = threads > 0 ? await pool! : new CpuEngine();
    shareReads(threads > 0);
    let lastLen = 0;
    let fromCache = 0;
    const onProgress = (p: MergeProgress) => {
      if (!tty && !parsed.switches.has('progress')) return;
      const pct = ((100 * (p.bytesRead + p.bytesWritten)) / Math.max(1, p.totalBytes)).toFixed(1);
      const eta = Number.isFinite(p.etaSeconds) ? `${p.etaSeconds.toFixed(0)} s left` : '';
      const line = `${p.phase} ${pct}% · ${p.tensorsDone}/${p.tensorCount} tensors · ${formatRate(p.rate, 'decimal')} · ${eta} · ${p.currentTensor}`.slice(0, 150);
      if (tty) process.stderr.write(`\r${line.padEnd(lastLen)}`);
      else io.err(line);
      lastLen = line.length;
    };
    try {
      const res = await runMerge(recipe, inputs, {
        engine,
        concurrency: 'workers' in engine ? engine.workers + 1 : 1,
        sink,
        fileName: target.fileName,
        onProgress,
        signal: ac.signal,
        recycle: threads > 0 ? recycleReads : undefined,
        hashFiles: (list, onBytes, signal) => {
          const pathOf = (f: (typeof list)[number]) => (f.source as FileSource).path;
          const hash = (l: typeof list, n: (bytes: number) => void, s?: AbortSignal) => {
            fromCache -= l.length;
            return hashFilesInWorkers(l.map(pathOf), n, s);
          };
          fromCache = list.length;
          if (parsed.switches.has('no-hash-cache')) return hash(list, onBytes, signal);
          // Digests of unchanged files (same path, size, mtime, inode) come from the cache file.
          return hashWithCache(list, { cache: fileHashCache(), stampOf: (f) => fileStamp(pathOf(f)), hash, sizeOf: (f) => f.source.size }, onBytes, signal);
        },
        chunkBytes: chunkMb ? Number(chunkMb) * 2 ** 20 : undefined,
        extraFiles,
      });
      if (tty) process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
      for (const n of res.notes) io.err(`note: ${n}`);
      const outBytes = res.files.reduce((s, f) => s + f.bytes, 0);
      if (parsed.switches.has('json')) io.out(JSON.stringify({ ...res, out: sink.written }));
      else {
        io.out(
          `${recipe.method}: ${res.merged} tensors merged, ${res.copied} copied → ${target.isDir ? target.dir : resolve(spec.out)} ` +
            `(${res.files.length} file${res.files.length === 1 ? '' : 's'}, ${formatBytes(outBytes, 'decimal')}) in ${res.seconds.toFixed(1)} s, ` +
            `${formatRate((res.bytesRead + res.bytesWritten) / Math.max(res.seconds, 1e-9), 'decimal')}, engine ${res.engine}${threads > 0 ? ` ×${threads}` : ''}` +
            (res.inputHashes.length ? `, ${res.inputHashes.length} input(s) hashed${fromCache ? ` (${fromCache} from the hash cache)` : ''}` : ''),
        );
      }
      return 0;
    } catch (e) {
      if (tty) process.stderr.write('\n');
      if (e instanceof MergePlanError) return reportPlanError(e, io);
      throw e;
    } finally {
      shareReads(false);
      engine.dispose();
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  } finally {
    await closeAll();
    if (pool) void pool.then((e) => e.dispose(), () => undefined); // disposed twice is harmless; here for early errors
  }
}
