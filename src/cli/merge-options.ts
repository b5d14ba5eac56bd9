/**
 * Shared by `capvector merge`, `extract` and `apply`: option parsing into a Recipe, opening the roles,
 * the Node sink and progress line, and the summary. One file so the three commands stay consistent.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Checkpoint } from '../formats/checkpoint';
import { CpuEngine } from '../compute/cpu-engine';
import { expandPaths, openPath } from '../node/paths';
import { closeAll, recycleReads, shareReads, type FileSource } from '../node/file-source';
import { hashFilesInWorkers } from '../node/hash-files';
import { cpuPool } from '../node/cpu-pool';
import { availableParallelism } from 'node:os';
import { fileSink } from '../node/file-sink';
import { MergePlanError } from '../merge/plan';
import { defaultRecipe, OUT_DTYPES } from '../merge/recipe';
import { recipeToJson, recipeToMergekitYaml } from '../merge/recipe-yaml';
import { runMerge } from '../merge/run';
import type { MergeInputs, MergeMethod, MergeProgress, OutDtype, ParamValue, Recipe } from '../merge/types';
import { UsageError, type CliIO } from './main';

export interface Parsed {
  flags: Map<string, string[]>;
  bools: Set<string>;
}

const BOOL_FLAGS = new Set(['normalize', 'no-normalize', 'ties', 'no-hash', 'json', 'quiet', 'progress', 'no-recipe-files']);

export function parseArgs(args: string[], allowed: string[]): Parsed {
  const flags = new Map<string, string[]>();
  const bools = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    let key = a.slice(2);
    let value: string | undefined;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    }
    if (!allowed.includes(key) && !BOOL_FLAGS.has(key)) throw new UsageError(`unknown option --${key}`);
    if (BOOL_FLAGS.has(key) && !allowed.includes(key)) {
      bools.add(key);
      continue;
    }
    if (value === undefined) {
      value = args[++i];
      if (value === undefined || (value.startsWith('--') && !/^--?\d/.test(value))) throw new UsageError(`--${key} needs a value`);
    }
    flags.set(key, [...(flags.get(key) ?? []), value]);
  }
  return { flags, bools };
}

export const one = (p: Parsed, k: string) => p.flags.get(k)?.at(-1);
/** All values of a repeatable option, comma lists split. */
export const many = (p: Parsed, k: string) => (p.flags.get(k) ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);

/** A parameter value: 0.8 · 0.2,0.5,0.8 (gradient) · JSON ([{"filter":"mlp","value":0.5},{"value":1}]). */
export function parseParamValue(s: string, what: string): ParamValue {
  const t = s.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t) as ParamValue;
    } catch {
      throw new UsageError(`${what}: '${s}' is not valid JSON`);
    }
  }
  if (t === 'true' || t === 'false') return t === 'true';
  const parts = t.split(',').map((x) => Number(x.trim()));
  if (parts.some((x) => !Number.isFinite(x)) || parts.length === 0) throw new UsageError(`${what}: '${s}' is not a number, a comma gradient or JSON rules`);
  return parts.length === 1 ? parts[0] : parts;
}

/** 2GB, 500MB, 1.5GiB, 1000000 → bytes (decimal units as mergekit/HF: 1GB = 1e9). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i.exec(s.trim());
  if (!m) throw new UsageError(`--shard-size: '${s}' is not a size like 2GB, 500MB or a byte count`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]);
}

export function parseDtype(s: string | undefined): OutDtype {
  if (!s) return 'keep';
  const d = s.toLowerCase() === 'keep' ? 'keep' : s.toUpperCase();
  if (!(OUT_DTYPES as string[]).includes(d)) throw new UsageError(`--dtype must be keep, f32, f16 or bf16 (got '${s}')`);
  return d as OutDtype;
}

/** Builds the recipe from options common to all methods. */
export function recipeFrom(method: MergeMethod, p: Parsed, paths: Record<string, string | undefined>, modelPaths: string[]): Recipe {
  const r = defaultRecipe(method);
  r.roles = {};
  for (const [k, v] of Object.entries(paths)) if (v) (r.roles as Record<string, string>)[k] = v;
  const numParam = (flag: string, param: string) => {
    const v = one(p, flag);
    if (v !== undefined) r.params[param] = parseParamValue(v, `--${flag}`);
  };
  numParam('alpha', 'alpha');
  numParam('lambda', 'lambda');
  numParam('p', 'p');
  numParam('seed', 'seed');
  if (p.bools.has('normalize')) r.params.normalize = true;
  if (p.bools.has('no-normalize')) r.params.normalize = false;
  if (p.bools.has('ties')) r.params.ties = true;
  for (const kv of p.flags.get('param') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects name=value (got '${kv}')`);
    r.params[kv.slice(0, eq)] = parseParamValue(kv.slice(eq + 1), `--param ${kv.slice(0, eq)}`);
  }
  if (modelPaths.length) {
    const weights = many(p, 'weight').map(Number);
    const densities = many(p, 'density').map(Number);
    const per = (vals: number[], i: number, what: string) => {
      if (!vals.length) return undefined;
      if (vals.some((x) => !Number.isFinite(x))) throw new UsageError(`--${what} must be numbers`);
      if (vals.length !== 1 && vals.length !== modelPaths.length) throw new UsageError(`--${what} needs one value or one per model (${modelPaths.length})`);
      return vals.length === 1 ? vals[0] : vals[i];
    };
    r.roles.models = modelPaths.map((name, i) => {
      const params: Record<string, ParamValue> = {};
      const w = per(weights, i, 'weight');
      const d = per(densities, i, 'density');
      if (w !== undefined) params.weight = w;
      if (d !== undefined) params.density = d;
      return { name, params };
    });
  }
  const inc = p.flags.get('include') ?? [];
  const exc = p.flags.get('exclude') ?? [];
  if (inc.length) r.include = inc;
  if (exc.length) r.exclude = exc;
  r.outDtype = parseDtype(one(p, 'dtype'));
  const shard = one(p, 'shard-size');
  r.shardSize = shard ? parseSize(shard) : 0;
  return r;
}

/** Where the output goes: a folder (sink dir, default file name) or a file (its folder, its name). */
export async function outputTarget(out: string, sharded: boolean): Promise<{ dir: string; fileName: string; isDir: boolean }> {
  const abs = resolve(out);
  const s = await stat(abs).catch(() => null);
  const isDir = s?.isDirectory() || out.endsWith('/') || (!out.endsWith('.safetensors') && !s);
  if (isDir) return { dir: abs, fileName: 'model.safetensors', isDir: true };
  if (!out.endsWith('.safetensors')) throw new UsageError(`--out must be a folder or a .safetensors file (got '${out}')`);
  void sharded;
  return { dir: dirname(abs), fileName: basename(abs), isDir: false };
}

const fmtBytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);

export interface ExecuteSpec {
  recipe: Recipe;
  /** Role → path for the single roles (pre, aux, sft, vector). */
  rolePaths: Record<string, string | undefined>;
  modelPaths: string[];
  out: string;
  parsed: Parsed;
}

/** Opens the inputs, runs the merge with the CPU engine into a Node sink, prints progress and a summary. */
export async function execute(spec: ExecuteSpec, io: CliIO): Promise<number> {
  const { recipe, parsed } = spec;
  const inputs: MergeInputs = {};
  const files: NonNullable<MergeInputs['files']> = [];
  const hash = !parsed.bools.has('no-hash');
  // The CpuEngine in worker threads (1M-element chunks keep each worker's scratch small), the main
  // thread left to reading and writing: two workers are fastest even on two cores (measured: 0.97 s
  // against 1.04 s with one on the merge bench). Workers start while the inputs open.
  const threadsOpt = one(parsed, 'threads');
  const threads = threadsOpt !== undefined ? Number(threadsOpt) : Math.min(6, Math.max(2, availableParallelism() - 1));
  if (!Number.isInteger(threads) || threads < 0) throw new UsageError('--threads must be a whole number (0 = compute on the main thread)');
  const pool = threads > 0 ? cpuPool(threads, 1 << 20) : null;
  pool?.catch(() => undefined); // awaited (and its error reported) below
  try {
    for (const [role, path] of Object.entries(spec.rolePaths)) {
      if (!path) continue;
      (inputs as Record<string, Checkpoint>)[role] = await openPath(path);
      if (hash) for (const src of (await expandPaths([path]))[0]) files.push({ role, name: src.name, source: src });
    }
    if (spec.modelPaths.length) {
      inputs.models = [];
      for (const [i, path] of spec.modelPaths.entries()) {
        inputs.models.push(await openPath(path));
        if (hash) for (const src of (await expandPaths([path]))[0]) files.push({ role: `model:${i}`, name: src.name, source: src });
      }
    }
    if (hash) inputs.files = files;
    const target = await outputTarget(spec.out, recipe.shardSize > 0);
    const sink = fileSink(target.dir);
    const keepDtype = inputs.pre?.tensors.find((t) => t.dtype === 'BF16' || t.dtype === 'F16' || t.dtype === 'F32')?.dtype;
    const extraFiles = target.isDir && !parsed.bools.has('no-recipe-files')
      ? [
          { name: 'capvector-recipe.json', bytes: new TextEncoder().encode(recipeToJson(recipe)) },
          { name: 'mergekit.yaml', bytes: new TextEncoder().encode(recipeToMergekitYaml(recipe, { keepDtype })) },
        ]
      : [];
    const ac = new AbortController();
    const onSig = () => ac.abort(Object.assign(new Error('cancelled (interrupt): no output was left behind'), { name: 'AbortError' }));
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const tty = !!process.stderr.isTTY && !parsed.bools.has('quiet');
    const chunkMb = one(parsed, 'chunk-mb');
    const engine = threads > 0 ? await pool! : new CpuEngine();
    shareReads(threads > 0);
    let lastLen = 0;
    const onProgress = (p: MergeProgress) => {
      if (!tty && !parsed.bools.has('progress')) return;
      const pct = ((100 * (p.bytesRead + p.bytesWritten)) / Math.max(1, p.totalBytes)).toFixed(1);
      const eta = Number.isFinite(p.etaSeconds) ? `${p.etaSeconds.toFixed(0)} s left` : '';
      const line = `${p.phase} ${pct}% · ${p.tensorsDone}/${p.tensorCount} tensors · ${fmtBytes(p.rate)}/s · ${eta} · ${p.currentTensor}`.slice(0, 150);
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
        hashFiles: (list, onBytes, signal) => hashFilesInWorkers(list.map((f) => (f.source as FileSource).path), onBytes, signal),
        chunkBytes: chunkMb ? Number(chunkMb) * 2 ** 20 : undefined,
        extraFiles,
      });
      if (tty) process.stderr.write(`\r${' '.repeat(lastLen)}\r`);
      for (const n of res.notes) io.err(`note: ${n}`);
      const outBytes = res.files.reduce((s, f) => s + f.bytes, 0);
      if (parsed.bools.has('json')) io.out(JSON.stringify({ ...res, out: sink.written }));
      else {
        io.out(
          `${recipe.method}: ${res.merged} tensors merged, ${res.copied} copied → ${target.isDir ? target.dir : resolve(spec.out)} ` +
            `(${res.files.length} file${res.files.length === 1 ? '' : 's'}, ${fmtBytes(outBytes)}) in ${res.seconds.toFixed(1)} s, ` +
            `${fmtBytes((res.bytesRead + res.bytesWritten) / Math.max(res.seconds, 1e-9))}/s, engine ${res.engine}${threads > 0 ? ` ×${threads}` : ''}` +
            (res.inputHashes.length ? `, ${res.inputHashes.length} input(s) hashed` : ''),
        );
      }
      return 0;
    } catch (e) {
      if (tty) process.stderr.write('\n');
      if (e instanceof MergePlanError) {
        const [first, ...rest] = e.describe();
        io.err(`error: ${first}`);
        for (const l of rest) io.err(l);
        return 1;
      }
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

export const COMMON_OPTIONS = ['out', 'dtype', 'shard-size', 'include', 'exclude', 'param', 'chunk-mb', 'threads'];

export function need(p: Parsed, k: string): string {
  const v = one(p, k);
  if (!v) throw new UsageError(`--${k} is required`);
  return v;
}
