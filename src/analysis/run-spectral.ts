/**
 * The spectral pass (issue 13) over the statistics tasks: per matrix (a stacked tensor [L, out, in]
 * gives one per layer, ./stacked-split.ts), γ = θ_aux − θ_sft read in full as float64 (chunk by chunk),
 * its leading singular values, stable rank and energy ranks (./spectral.ts) and, with a downstream
 * checkpoint, the subspace overlap of γ with Δ = θ_down − θ_meta = θ_down − θ_pre − α·γ (the Δ of
 * normDelta and cosGammaDelta). Optionally (the app's analysis Worker) also the overlap of
 * τ_aux = θ_aux − θ_pre with τ_sft = θ_sft − θ_pre, and the projections of D = θ_down − θ_pre on γ's
 * singular pairs, from which the α preview evaluates θ_meta with γ truncated to any rank r ≤ k without
 * reading weights again (./truncate.ts).
 * Reading and computing are apart: runSpectral reads at most two float64 matrices at a time (τ_aux and
 * τ_sft, then γ and Δ) and hands them to tauSpectral / gammaSpectral, pure functions of the buffers:
 * the seam where an engine's kernels or a worker thread can take the computing over.
 * With a WebGPU engine the randomised SVD's products run as WGSL kernels (src/compute/linalg/);
 * otherwise (the CLI, the CPU engine) in float64 on the CPU.
 */
import type { Engine } from '../compute/engine';
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
import { CpuEngine } from '../compute/cpu-engine';
import { decodeToF32 } from '../formats/dtype';
import { isLoraSource, readInput } from '../merge/lora-sources';
import { DEFAULT_CHUNK_ELEMENTS, StatsCancelled, type StatsProgress, type StatsTask } from './run-stats';
import type { StatsPlan } from './plan';
import { DEFAULT_SPECTRAL_K, spectralSummary, subspaceOverlap, type SpectralSummary } from './spectral';
import { matrixView } from './stacked-split';

/** The randomised SVD's seed: fixed, so that the numbers are reproducible and the app's equal the CLI's. */
export const SPECTRAL_SEED = 0;

export interface TensorSpectral {
  name: string;
  /** The matrix view [rows, cols] of the tensor (of one layer of a stacked tensor). */
  matrix: [number, number];
  /** The layer on axis 0 of a stacked tensor [L, out, in] (./stacked-split.ts); absent for one matrix. */
  layer?: number;
  gamma: SpectralSummary;
  /** ‖U_{γ,k}ᵀ U_{Δ,k}‖²_F / k; only with a downstream checkpoint. */
  overlapGammaDelta?: number | null;
  /** ‖U_{τaux,k}ᵀ U_{τsft,k}‖²_F / k; only with `tauOverlap`. */
  overlapTauAuxTauSft?: number | null;
  /** The spectra of Δ (with a downstream checkpoint) and of τ_aux, τ_sft (with `tauOverlap`): their SVDs are taken for the overlaps anyway. */
  delta?: SpectralSummary;
  tauAux?: SpectralSummary;
  tauSft?: SpectralSummary;
  /**
   * ⟨D, uᵢuᵢᵀγ⟩ with D = θ_down − θ_pre for each of γ's singular pairs (uᵢuᵢᵀγ = σᵢuᵢvᵢᵀ): their sum over
   * i ≤ r is ⟨D, γ_r⟩. Only with `gammaProjections` and a downstream checkpoint.
   */
  downDotPairs?: number[];
}

export interface RunSpectralOptions {
  plan: StatsPlan;
  tasks: readonly StatsTask[];
  /** α of a tensor (for Δ = θ_down − θ_pre − α·γ); `layer`: the layer of a stacked tensor, whose layers can each have their own α. */
  alpha(name: string, layer?: number): number;
  k?: number;
  /** Power iterations of the randomised SVD (2 by default; more sharpens a flat tail of the spectrum). */
  powerIterations?: number;
  seed?: number;
  signal?: AbortSignal;
  chunkElements?: number;
  /** Where the randomised SVD's products run: a WebGPU engine runs the WGSL kernels; absent or CPU, float64 on the CPU. */
  engine?: Engine;
  /** Also the subspace overlap of τ_aux and τ_sft (two more SVDs per matrix). */
  tauOverlap?: boolean;
  /** Also `downDotPairs` (for the α preview of γ truncated to rank r). */
  gammaProjections?: boolean;
  onTensor(t: TensorSpectral): void;
  /** After each tensor; bytes count every tensor of a matrix task (what was analysed), not re-reads. */
  onProgress?(p: StatsProgress): void;
  now?: () => number;
}

/** Bytes of the tasks the pass decomposes (the matrices): the progress bar's total. */
export function spectralBytes(tasks: readonly StatsTask[]): number {
  return tasks.reduce((s, t) => s + (matrixView(t.entries[0].shape, t.name) ? t.entries.reduce((b, e) => b + e.byteLength, 0) : 0), 0);
}

/** Cᵀ (n×l) = Mᵀ·U for a row-major m×n matrix and U m×l: column i of γᵀ·U is σᵢ·vᵢ. */
function transposeTimes(data: Float64Array, rows: number, cols: number, u: Float64Array, l: number): Float64Array {
  const out = new Float64Array(cols * l);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const a = data[i * cols + j];
      if (a === 0) continue;
      for (let c = 0; c < l; c++) out[j * l + c] += a * u[i * l + c];
    }
  }
  return out;
}

export interface SvdParams {
  k: number;
  seed: number;
  powerIterations: number;
  signal?: AbortSignal;
  engine?: Engine;
}

/** The spectra of τ_aux and τ_sft of one matrix and their subspace overlap. */
export async function tauSpectral(rows: number, cols: number, tauAux: Float64Array, tauSft: Float64Array, p: SvdParams):
  Promise<Pick<TensorSpectral, 'tauAux' | 'tauSft' | 'overlapTauAuxTauSft'>> {
  const a = await spectralSummary({ rows, cols, data: tauAux }, p, p.engine);
  const b = await spectralSummary({ rows, cols, data: tauSft }, p, p.engine);
  return { tauAux: a.summary, tauSft: b.summary, overlapTauAuxTauSft: subspaceOverlap(a.svd, b.svd, p.k) };
}

/**
 * γ's spectrum of one matrix and, given Δ = D − α·γ (D = θ_down − θ_pre), Δ's spectrum, the γ–Δ overlap
 * and (with `projections`) ⟨D, uᵢuᵢᵀγ⟩ = (Dᵀuᵢ)·(γᵀuᵢ) for each of γ's computed pairs.
 */
export async function gammaSpectral(rows: number, cols: number, gamma: Float64Array, p: SvdParams, delta?: { data: Float64Array; alpha: number; projections: boolean }):
  Promise<Pick<TensorSpectral, 'gamma' | 'delta' | 'overlapGammaDelta' | 'downDotPairs'>> {
  const g = await spectralSummary({ rows, cols, data: gamma }, p, p.engine);
  if (!delta) return { gamma: g.summary };
  const d = await spectralSummary({ rows, cols, data: delta.data }, p, p.engine);
  const out: Awaited<ReturnType<typeof gammaSpectral>> = { gamma: g.summary, delta: d.summary, overlapGammaDelta: subspaceOverlap(g.svd, d.svd, p.k) };
  if (delta.projections) {
    const kk = g.svd.sigma.length;
    const gtu = transposeTimes(gamma, rows, cols, g.svd.u, kk);
    const dtu = transposeTimes(delta.data, rows, cols, g.svd.u, kk);
    const a = delta.alpha;
    out.downDotPairs = Array.from({ length: kk }, (_, i) => {
      let s = 0;
      for (let j = 0; j < cols; j++) s += (dtu[j * kk + i] + a * gtu[j * kk + i]) * gtu[j * kk + i];
      return s;
    });
  }
  return out;
}

/** Forms a LoRA role's values (θ_pre + ΔW, merge/lora-sources.ts) for the spectral pass. */
let loraEngine: CpuEngine | null = null;

/** out[i] (+)= sign·x[offset + i] over out's length, read chunk by chunk as float32. */
async function addTensor(out: Float64Array, e: TensorEntry, sign: number, chunk: number, offset = 0): Promise<void> {
  for (let first = 0; first < out.length; first += chunk) {
    const n = Math.min(chunk, out.length - first);
    const x = isLoraSource(e)
      ? decodeToF32('F32', (await readInput((loraEngine ??= new CpuEngine()), e, offset + first, n)).bytes)
      : await readTensorF32(e, offset + first, n);
    for (let i = 0; i < n; i++) out[first + i] += sign * x[i];
  }
}

export async function runSpectral(o: RunSpectralOptions): Promise<void> {
  const role = (r: string) => o.plan.roles.indexOf(r);
  const [iPre, iAux, iSft, iDown] = ['pre', 'aux', 'sft', 'down'].map(role);
  if (iAux < 0 || iSft < 0) throw new Error('the spectral pass needs θ_aux and θ_sft');
  const svd: SvdParams = { k: o.k ?? DEFAULT_SPECTRAL_K, seed: o.seed ?? SPECTRAL_SEED, powerIterations: o.powerIterations ?? 2, signal: o.signal, engine: o.engine };
  const chunk = Math.max(1, o.chunkElements ?? DEFAULT_CHUNK_ELEMENTS);
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const matrices = o.tasks.filter((t) => matrixView(t.entries[0].shape, t.name));
  const bytesTotal = spectralBytes(matrices);
  let bytesDone = 0;
  let tensorsDone = 0;
  for (const task of matrices) {
    const { rows, cols, layers, stacked } = matrixView(task.entries[0].shape, task.name)!;
    for (let layer = 0; layer < layers; layer++) {
      if (o.signal?.aborted) throw new StatsCancelled();
      // Role a − role b (b < 0: none) of this matrix, into a new buffer or added to `into`.
      const read = async (a: number, b: number, into?: Float64Array) => {
        const out = into ?? new Float64Array(rows * cols);
        await addTensor(out, task.entries[a], 1, chunk, layer * rows * cols);
        if (b >= 0) await addTensor(out, task.entries[b], -1, chunk, layer * rows * cols);
        return out;
      };
      try {
        // τ's buffers first, so that at most two matrices are held at once.
        const tau = o.tauOverlap && iPre >= 0 ? await tauSpectral(rows, cols, await read(iAux, iPre), await read(iSft, iPre), svd) : {};
        const gamma = await read(iAux, iSft);
        let delta: Parameters<typeof gammaSpectral>[4];
        if (iDown >= 0 && iPre >= 0) {
          // Δ = θ_down − θ_pre − α·γ.
          const a = o.alpha(task.name, stacked ? layer : undefined);
          delta = { data: await read(iDown, iPre, Float64Array.from(gamma, (x) => -a * x)), alpha: a, projections: !!o.gammaProjections };
        }
        o.onTensor({ name: task.name, matrix: [rows, cols], ...(stacked ? { layer } : {}), ...(await gammaSpectral(rows, cols, gamma, svd, delta)), ...tau });
      } catch (e) {
        // An abort inside an SVD (between its products) reads like one between tensors.
        if (o.signal?.aborted) throw new StatsCancelled();
        throw e;
      }
    }
    tensorsDone++;
    bytesDone += task.entries.reduce((b, e) => b + e.byteLength, 0);
    const elapsed = (now() - t0) / 1000;
    o.onProgress?.({ tensorsDone, tensorsTotal: matrices.length, bytesDone, bytesTotal, elapsed, eta: bytesDone > 0 ? (elapsed * (bytesTotal - bytesDone)) / bytesDone : null });
  }
}
