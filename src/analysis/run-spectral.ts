/**
 * The spectral pass (issue 13) over the statistics tasks: per matrix (a stacked tensor [L, out, in]
 * gives one per layer, ./stacked-split.ts), γ = θ_aux − θ_sft read in
 * full as float64 (chunk by chunk, so only one float64 matrix and one float32 chunk are held at a time),
 * its leading singular values, stable rank and energy ranks (./spectral.ts) and, with a downstream
 * checkpoint, the subspace overlap of γ with Δ = θ_down − θ_meta = θ_down − θ_pre − α·γ (the Δ of
 * normDelta and cosGammaDelta). Δ is formed in place over γ's buffer once γ's SVD is taken.
 * Optionally (the app's analysis Worker) also the overlap of τ_aux = θ_aux − θ_pre with τ_sft = θ_sft − θ_pre,
 * and the projections uᵢᵀ·D·vᵢ of D = θ_down − θ_pre on γ's singular pairs, from which the α preview
 * evaluates θ_meta with γ truncated to any rank r ≤ k without reading weights again (./truncate.ts).
 * This function is the one seam of the spectral pass: a GPU engine replaces the SVDs behind it.
 */
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
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
  /** α of a tensor (for Δ = θ_down − θ_pre − α·γ). */
  alpha(name: string): number;
  k?: number;
  /** Power iterations of the randomised SVD (2 by default; more sharpens a flat tail of the spectrum). */
  powerIterations?: number;
  seed?: number;
  signal?: AbortSignal;
  chunkElements?: number;
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
  return tasks.reduce((s, t) => s + (matrixView(t.entries[0].shape) ? t.entries.reduce((b, e) => b + e.byteLength, 0) : 0), 0);
}

/** Cᵀ (n×l) = Mᵀ·U for a row-major m×n matrix and U m×l: γ's right singular vectors are its columns / σ. */
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

/** out[i] (+)= sign·x[offset + i] over out's length, read chunk by chunk as float32. */
async function addTensor(out: Float64Array, e: TensorEntry, sign: number, chunk: number, offset = 0): Promise<void> {
  for (let first = 0; first < out.length; first += chunk) {
    const n = Math.min(chunk, out.length - first);
    const x = await readTensorF32(e, offset + first, n);
    for (let i = 0; i < n; i++) out[first + i] += sign * x[i];
  }
}

export async function runSpectral(o: RunSpectralOptions): Promise<void> {
  const role = (r: string) => o.plan.roles.indexOf(r);
  const [iPre, iAux, iSft, iDown] = ['pre', 'aux', 'sft', 'down'].map(role);
  if (iAux < 0 || iSft < 0) throw new Error('the spectral pass needs θ_aux and θ_sft');
  const k = o.k ?? DEFAULT_SPECTRAL_K;
  const seed = o.seed ?? SPECTRAL_SEED;
  const powerIterations = o.powerIterations ?? 2;
  const chunk = Math.max(1, o.chunkElements ?? DEFAULT_CHUNK_ELEMENTS);
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const matrices = o.tasks.filter((t) => matrixView(t.entries[0].shape));
  const bytesTotal = spectralBytes(matrices);
  let bytesDone = 0;
  let tensorsDone = 0;
  /** One matrix (one layer of a stacked tensor): γ, its SVD and what depends on it, one float64 buffer (two with τ and Δ). */
  const sliceSpectral = async (task: StatsTask, layer: number, layerIndex: number | undefined): Promise<TensorSpectral> => {
    const { rows, cols } = matrixView(task.entries[0].shape)!;
    const off = layer * rows * cols;
    const add = (out: Float64Array, role: number, sign: number) => addTensor(out, task.entries[role], sign, chunk, off);
    const data = new Float64Array(rows * cols);
    await add(data, iAux, 1);
    await add(data, iSft, -1);
    const g = spectralSummary({ rows, cols, data }, { k, seed, powerIterations });
    const row: TensorSpectral = { name: task.name, matrix: [rows, cols], ...(layerIndex === undefined ? {} : { layer: layerIndex }), gamma: g.summary };
    const kk = g.svd.sigma.length;
    const hasDown = iDown >= 0 && iPre >= 0;
    // γᵀ·U (n × kk) before γ's buffer is overwritten: column i is σᵢ·vᵢ.
    const gtu = hasDown && o.gammaProjections ? transposeTimes(data, rows, cols, g.svd.u, kk) : null;
    if (o.tauOverlap && iPre >= 0) {
      // τ_aux and τ_sft in a second buffer only while γ is still needed for Δ; else over γ's.
      const buf = hasDown ? new Float64Array(data.length) : data;
      buf.fill(0);
      await add(buf, iAux, 1);
      await add(buf, iPre, -1);
      const ta = spectralSummary({ rows, cols, data: buf }, { k, seed, powerIterations });
      buf.fill(0);
      await add(buf, iSft, 1);
      await add(buf, iPre, -1);
      const ts = spectralSummary({ rows, cols, data: buf }, { k, seed, powerIterations });
      row.overlapTauAuxTauSft = subspaceOverlap(ta.svd, ts.svd, k);
      row.tauAux = ta.summary;
      row.tauSft = ts.summary;
    }
    if (hasDown) {
      // Δ = θ_down − θ_pre − α·γ, over γ's buffer.
      const a = o.alpha(task.name);
      for (let i = 0; i < data.length; i++) data[i] *= -a;
      await add(data, iDown, 1);
      await add(data, iPre, -1);
      const d = spectralSummary({ rows, cols, data }, { k, seed, powerIterations });
      row.overlapGammaDelta = subspaceOverlap(g.svd, d.svd, k);
      row.delta = d.summary;
      if (gtu) {
        // ⟨D, uᵢuᵢᵀγ⟩ = (Dᵀuᵢ)·(γᵀuᵢ) with D = Δ + α·γ, and ‖γᵀuᵢ‖² = σᵢ² for the computed pairs.
        const dtu = transposeTimes(data, rows, cols, g.svd.u, kk);
        row.downDotPairs = Array.from(g.svd.sigma, (s, i) => {
          let p = 0;
          for (let j = 0; j < cols; j++) p += dtu[j * kk + i] * gtu[j * kk + i];
          return p + a * s * s;
        });
      }
    }
    return row;
  };
  for (const task of matrices) {
    const view = matrixView(task.entries[0].shape)!;
    for (let layer = 0; layer < view.layers; layer++) {
      if (o.signal?.aborted) throw new StatsCancelled();
      o.onTensor(await sliceSpectral(task, layer, view.stacked ? layer : undefined));
    }
    tensorsDone++;
    bytesDone += task.entries.reduce((b, e) => b + e.byteLength, 0);
    const elapsed = (now() - t0) / 1000;
    o.onProgress?.({ tensorsDone, tensorsTotal: matrices.length, bytesDone, bytesTotal, elapsed, eta: bytesDone > 0 ? (elapsed * (bytesTotal - bytesDone)) / bytesDone : null });
  }
}
