/**
 * γ = θ_aux − θ_sft exported as a PEFT LoRA adapter (issue 13, item 4), for the CLI and the merge
 * Worker alike. The extract recipe's plan decides which tensors γ has (include/exclude, buffers left
 * out, as `capvector extract`); each module weight PEFT can target (./peft.ts) is read as float64 γ,
 * chunk by chunk, and factored (./factor.ts); everything else (norms, biases, bare parameters) is
 * written whole, as the extract merge writes it, into gamma_dense.safetensors, so nothing is dropped.
 * A zero γ matrix gets no LoRA layer (ΔW = 0 exactly) and is listed as such.
 *
 * Memory: one γ matrix in float64 at a time, plus the factors (written at the end, when every rank is
 * known) and the dense side tensors; the adapter is float32, whatever γ's dtype: a bf16 factor would
 * add a rounding error of 2⁻⁹ relative to every element of B·A, more than the truncation error of a γ
 * that is close to low-rank, and the adapter is small beside dense γ anyway.
 */
import type { Engine } from '../../compute/engine';
import { readTensorF32, type TensorEntry } from '../../formats/checkpoint';
import { decodeToF32, type DType } from '../../formats/dtype';
import { isLoraSource, readInput } from '../lora-sources';
import { planMerge } from '../plan';
import { runMerge } from '../run';
import { buildHeader } from '../safetensors-writer';
import type { MergeInputs, OutputSink, Recipe } from '../types';
import { factorInThread, type FactorCompute, type LowRank } from './factor';
import { adapterConfig, adapterShapes, adapterTensorNames, factoredShape, loraKind, moduleOf, type LoraKind } from './peft';

export const ADAPTER_FILE = 'adapter_model.safetensors';
export const CONFIG_FILE = 'adapter_config.json';
export const DENSE_FILE = 'gamma_dense.safetensors';
export const REPORT_FILE = 'lora-report.json';

export interface LoraExportOptions {
  /** The extract recipe (roles, include/exclude, output dtype of the side file). */
  recipe: Recipe;
  inputs: MergeInputs;
  /** Computes the side file (the extract merge of the tensors left dense). */
  engine: Engine;
  sink: OutputSink;
  maxRank: number;
  energy?: number;
  powerIterations?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Elements read at a time when forming γ (default 4M). */
  chunkElements?: number;
  /** Where each matrix is factored (default: this thread; the CLI: worker threads, src/node/spectral-pool.ts). */
  factor?: FactorCompute;
  /** Matrices factored at once (default 1). */
  concurrency?: number;
  /** Float64 bytes of matrices in flight before the next is read (default unlimited; one always runs). */
  maxInFlightBytes?: number;
  onProgress?(p: LoraProgress): void;
}

export interface LoraProgress {
  tensorsDone: number;
  tensorCount: number;
  bytesRead: number;
  totalBytes: number;
  currentTensor: string;
}

export interface LoraTensorReport {
  name: string;
  /** A LoRA module's kind; 'dense' for a tensor written whole to the side file; 'zero' for a γ matrix that is exactly 0. */
  kind: LoraKind | 'dense' | 'zero';
  shape: number[];
  /** γ's bytes in the output dtype (what the dense vector file holds for it). */
  denseBytes: number;
  /** Bytes this tensor takes in the export (A + B in float32, or the whole tensor in the side file). */
  bytes: number;
  rank?: number;
  energyKept?: number;
  /** ‖γ − B·A‖_F of the float32 factors. */
  error?: number;
  /** √(‖γ‖²_F − Σ_{i≤r} σᵢ²) from the computed spectrum (exact SVD: the Eckart–Young error). */
  eckartYoung?: number;
  exactSvd?: boolean;
  frobenius?: number;
}

export interface LoraExportResult {
  files: { name: string; bytes: number }[];
  tensors: LoraTensorReport[];
  config: Record<string, unknown>;
  totals: { adapterBytes: number; denseSideBytes: number; denseGammaBytes: number; modules: number; dense: number; zero: number };
  options: { maxRank: number; energy: number | null; powerIterations: number; oversample: number; seed: number; dtype: 'F32' };
  seconds: number;
}

function cancelled(signal?: AbortSignal): Error {
  const r = signal?.reason;
  if (r instanceof Error) return r;
  return Object.assign(new Error('the LoRA export was cancelled'), { name: 'AbortError' });
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Elements [first, first + n) of an input as float32: read, or formed by the lora op for a role given as a LoRA adapter. */
async function readF32(engine: Engine, e: TensorEntry, first: number, n: number): Promise<Float32Array> {
  return isLoraSource(e) ? decodeToF32('F32', (await readInput(engine, e, first, n)).bytes) : readTensorF32(e, first, n);
}

/** out = aux − sft (float64) for the whole tensor, read chunk by chunk as float32. */
async function readGamma(engine: Engine, out: Float64Array, aux: TensorEntry, sft: TensorEntry, chunk: number, signal?: AbortSignal): Promise<void> {
  for (let first = 0; first < out.length; first += chunk) {
    if (signal?.aborted) throw cancelled(signal);
    const n = Math.min(chunk, out.length - first);
    const [x, y] = await Promise.all([readF32(engine, aux, first, n), readF32(engine, sft, first, n)]);
    for (let i = 0; i < n; i++) out[first + i] = x[i] - y[i];
  }
}

function transpose(d: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(d.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = d[i * cols + j];
  return t;
}

const encoder = new TextEncoder();

export async function exportLora(o: LoraExportOptions): Promise<LoraExportResult> {
  const started = performance.now();
  if (!(Number.isInteger(o.maxRank) && o.maxRank >= 1)) throw new Error(`the LoRA rank must be a whole number ≥ 1 (got ${o.maxRank})`);
  if (o.energy !== undefined && !(o.energy > 0 && o.energy <= 1)) throw new Error(`the LoRA energy must be in (0, 1] (got ${o.energy})`);
  const powerIterations = o.powerIterations ?? 2;
  const seed = o.seed ?? 0;
  const chunk = Math.max(1, o.chunkElements ?? 1 << 22);
  const recipe: Recipe = { ...o.recipe, shardSize: 0 };
  const plan = planMerge(recipe, o.inputs);
  const report: LoraTensorReport[] = [];
  const factoredIdx = plan.tensors.map((t, i) => (loraKind(t.name, t.shape) ? i : -1)).filter((i) => i >= 0);
  const totalBytes = factoredIdx.reduce((s, i) => s + plan.sources[i][0].byteLength + plan.sources[i][1].byteLength, 0);
  const progress: LoraProgress = { tensorsDone: 0, tensorCount: plan.tensors.length, bytesRead: 0, totalBytes, currentTensor: '' };

  const adapterTensors: { name: string; dtype: DType; shape: number[]; byteLength: number; data: Float32Array }[] = [];
  const modules: { module: string; rank: number }[] = [];
  const factored = new Set<string>();
  try {
    const factor = o.factor ?? factorInThread;
    const concurrency = Math.max(1, o.concurrency ?? 1);
    const maxBytes = o.maxInFlightBytes ?? Infinity;
    // Matrices in flight, oldest first; their results are taken in tensor order.
    const inFlight: { i: number; kind: LoraKind; bytes: number; aux: TensorEntry; sft: TensorEntry; result: Promise<LowRank> }[] = [];
    const takeOldest = async () => {
      const { i, kind, aux, sft, result } = inFlight.shift()!;
      const t = plan.tensors[i];
      // A factoring fault names the tensor (a cancellation stays as it is).
      const f = await result.catch((e: unknown) => {
        if (e instanceof Error && e.name === 'AbortError') throw e;
        throw new Error(`${t.name}: ${e instanceof Error ? e.message : String(e)}`);
      });
      factored.add(t.name);
      const base = { name: t.name, shape: t.shape, denseBytes: t.byteLength, frobenius: Math.sqrt(f.frobeniusSq) };
      if (f.rank === 0) report.push({ ...base, kind: 'zero', bytes: 0, rank: 0, energyKept: 1, error: 0, eckartYoung: 0, exactSvd: f.exact });
      else {
        const module = moduleOf(t.name);
        const names = adapterTensorNames(kind, module);
        const shapes = adapterShapes(kind, t.shape, f.rank);
        adapterTensors.push({ name: names.a, dtype: 'F32', shape: shapes.a, byteLength: f.a.byteLength, data: f.a });
        adapterTensors.push({ name: names.b, dtype: 'F32', shape: shapes.b, byteLength: f.b.byteLength, data: f.b });
        modules.push({ module, rank: f.rank });
        report.push({ ...base, kind, bytes: f.a.byteLength + f.b.byteLength, rank: f.rank, energyKept: f.energyKept, error: f.error, eckartYoung: f.eckartYoung, exactSvd: f.exact });
      }
      progress.tensorsDone += 1;
      progress.bytesRead += aux.byteLength + sft.byteLength;
      o.onProgress?.({ ...progress, currentTensor: t.name });
    };
    try {
      for (const i of factoredIdx) {
        if (o.signal?.aborted) throw cancelled(o.signal);
        const t = plan.tensors[i];
        const [aux, sft] = plan.sources[i];
        const kind = loraKind(t.name, t.shape)!;
        const [rows, cols] = factoredShape(kind, t.shape);
        const bytes = rows * cols * 8;
        while (inFlight.length && (inFlight.length >= concurrency || inFlight.reduce((s, j) => s + j.bytes, 0) + bytes > maxBytes)) await takeOldest();
        progress.currentTensor = t.name;
        o.onProgress?.({ ...progress });
        let data: Float64Array = new Float64Array(rows * cols);
        await readGamma(o.engine, data, aux, sft, chunk, o.signal);
        if (kind === 'embedding') data = transpose(data, cols, rows);
        inFlight.push({ i, kind, bytes, aux, sft, result: factor({ rows, cols, data }, { maxRank: o.maxRank, energy: o.energy, powerIterations, seed }) });
      }
      while (inFlight.length) await takeOldest();
    } finally {
      await Promise.allSettled(inFlight.map((j) => j.result));
    }

    // The side file: the extract merge itself, of every tensor not factored (bit for bit what `extract` writes for them),
    // streamed into the sink chunk by chunk (a JAX checkpoint's kernels are no `.weight` modules: most of γ can be here).
    // The export commits or aborts the sink as a whole.
    const denseNames = plan.tensors.filter((t) => !factored.has(t.name));
    const files: { name: string; bytes: Uint8Array }[] = [];
    let denseSideBytes = 0;
    if (denseNames.length) {
      const exclude = factored.size ? [...(recipe.exclude ?? []), `/^(?:${[...factored].map(escapeRegex).join('|')})$/`] : recipe.exclude;
      const sideSink: OutputSink = {
        createFile: async (name, size) => {
          if (name === DENSE_FILE) denseSideBytes = size;
          return o.sink.createFile(name, size);
        },
        commit: async () => {},
        abort: async () => {},
      };
      await runMerge({ ...recipe, exclude }, o.inputs, { engine: o.engine, sink: sideSink, fileName: DENSE_FILE, signal: o.signal, chunkElements: o.chunkElements });
      for (const t of denseNames) report.push({ name: t.name, kind: 'dense', shape: t.shape, denseBytes: t.byteLength, bytes: t.byteLength });
      progress.tensorsDone += denseNames.length;
      o.onProgress?.({ ...progress, currentTensor: DENSE_FILE });
    }
    const order = new Map(plan.tensors.map((t, i) => [t.name, i]));
    report.sort((a, b) => order.get(a.name)! - order.get(b.name)!);

    const config = adapterConfig(modules);
    const { header } = buildHeader(adapterTensors, { format: 'pt', 'capvector.kind': 'lora-adapter', 'capvector.formula': 'B @ A ~ theta_aux - theta_sft (scale 1)' });
    const adapter = new Uint8Array(header.length + adapterTensors.reduce((s, t) => s + t.byteLength, 0));
    adapter.set(header);
    let off = header.length;
    for (const t of adapterTensors) {
      adapter.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.byteLength), off);
      off += t.byteLength;
    }
    files.push({ name: CONFIG_FILE, bytes: encoder.encode(JSON.stringify(config, null, 2) + '\n') }, { name: ADAPTER_FILE, bytes: adapter });
    const result: LoraExportResult = {
      files: [],
      tensors: report,
      config,
      totals: {
        adapterBytes: adapter.length,
        denseSideBytes,
        denseGammaBytes: plan.tensors.reduce((s, t) => s + t.byteLength, 0),
        modules: modules.length,
        dense: denseNames.length,
        zero: report.filter((r) => r.kind === 'zero').length,
      },
      options: { maxRank: o.maxRank, energy: o.energy ?? null, powerIterations, oversample: 10, seed, dtype: 'F32' },
      seconds: 0,
    };
    result.seconds = (performance.now() - started) / 1000;
    result.files = [...files.map((f) => ({ name: f.name, bytes: f.bytes.length })), ...(denseSideBytes ? [{ name: DENSE_FILE, bytes: denseSideBytes }] : []), { name: REPORT_FILE, bytes: 0 }];
    const reportBytes = encoder.encode(JSON.stringify({ ...result, files: result.files.slice(0, -1) }, null, 1) + '\n');
    result.files[result.files.length - 1].bytes = reportBytes.length;
    files.push({ name: REPORT_FILE, bytes: reportBytes });
    for (const f of files) {
      if (o.signal?.aborted) throw cancelled(o.signal);
      const out = await o.sink.createFile(f.name, f.bytes.length);
      await out.write(f.bytes);
      await out.close();
    }
    await o.sink.commit();
    return result;
  } catch (e) {
    await o.sink.abort();
    throw e;
  }
}
