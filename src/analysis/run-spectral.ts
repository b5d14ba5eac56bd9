/**
 * The spectral pass (issue 13) over the statistics tasks: per matrix tensor, γ = θ_aux − θ_sft read in
 * full as float64 (chunk by chunk: one float64 matrix per job in flight, plus the one being read, and one float32 chunk),
 * its leading singular values, stable rank and energy ranks (./spectral.ts) and, with a downstream
 * checkpoint, the subspace overlap of γ with Δ = θ_down − θ_meta = θ_down − θ_pre − α·γ (the Δ of
 * normDelta and cosGammaDelta), in a buffer of its own. Each matrix is a job (./spectral-job.ts) computed
 * here or, in the CLI, on worker threads while the next matrix is read.
 */
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
import { DEFAULT_CHUNK_ELEMENTS, StatsCancelled, type StatsTask } from './run-stats';
import type { StatsPlan } from './plan';
import { DEFAULT_SPECTRAL_K, matrixShape, type SpectralSummary } from './spectral';
import { computeInThread, type SpectralCompute, type SpectralJobResult } from './spectral-job';

export interface TensorSpectral {
  name: string;
  /** The matrix view [rows, cols] of the tensor. */
  matrix: [number, number];
  gamma: SpectralSummary;
  /** ‖U_{γ,k}ᵀ U_{Δ,k}‖²_F / k; only with a downstream checkpoint. */
  overlapGammaDelta?: number | null;
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
  /** Where each matrix is computed (default: this thread; the CLI: worker threads). */
  compute?: SpectralCompute;
  /** Matrices computed at once (default 1): worth more with `compute` on worker threads. */
  concurrency?: number;
  /**
   * Float64 bytes (γ and Δ) that jobs in flight may hold together before the next matrix is read
   * (default unlimited); one job always runs, however large. Keeps a 7B model's 1 GB embedding
   * matrices from being held several at once.
   */
  maxInFlightBytes?: number;
  onTensor(t: TensorSpectral): void;
}

/** out[i] (+)= sign·x[i] for the whole tensor, read chunk by chunk as float32. */
async function addTensor(out: Float64Array, e: TensorEntry, sign: number, chunk: number): Promise<void> {
  for (let first = 0; first < out.length; first += chunk) {
    const n = Math.min(chunk, out.length - first);
    const x = await readTensorF32(e, first, n);
    for (let i = 0; i < n; i++) out[first + i] += sign * x[i];
  }
}

export async function runSpectral(o: RunSpectralOptions): Promise<void> {
  const role = (r: string) => o.plan.roles.indexOf(r);
  const [iPre, iAux, iSft, iDown] = ['pre', 'aux', 'sft', 'down'].map(role);
  if (iAux < 0 || iSft < 0) throw new Error('the spectral pass needs θ_aux and θ_sft');
  const k = o.k ?? DEFAULT_SPECTRAL_K;
  const seed = o.seed ?? 0;
  const powerIterations = o.powerIterations ?? 2;
  const chunk = Math.max(1, o.chunkElements ?? DEFAULT_CHUNK_ELEMENTS);
  const compute = o.compute ?? computeInThread;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  // Jobs in flight, oldest first: the next matrix is read while up to `concurrency` are computed.
  const inFlight: { name: string; matrix: [number, number]; bytes: number; result: Promise<SpectralJobResult> }[] = [];
  const maxBytes = o.maxInFlightBytes ?? Infinity;
  const emitOldest = async () => {
    const j = inFlight.shift()!;
    const r = await j.result;
    o.onTensor({ name: j.name, matrix: j.matrix, gamma: r.gamma, ...(r.overlapGammaDelta !== undefined ? { overlapGammaDelta: r.overlapGammaDelta } : {}) });
  };
  try {
    for (const task of o.tasks) {
      if (o.signal?.aborted) throw new StatsCancelled();
      const mv = matrixShape(task.entries[0].shape);
      if (!mv) continue;
      const [rows, cols] = mv;
      const withDelta = iDown >= 0 && iPre >= 0;
      const bytes = rows * cols * 8 * (withDelta ? 2 : 1);
      while (inFlight.length && inFlight.reduce((s, j) => s + j.bytes, 0) + bytes > maxBytes) await emitOldest();
      const gamma = new Float64Array(rows * cols);
      await addTensor(gamma, task.entries[iAux], 1, chunk);
      await addTensor(gamma, task.entries[iSft], -1, chunk);
      let delta: Float64Array | undefined;
      if (withDelta) {
        // Δ = θ_down − θ_pre − α·γ.
        const a = o.alpha(task.name);
        delta = Float64Array.from(gamma, (x) => -a * x);
        await addTensor(delta, task.entries[iDown], 1, chunk);
        await addTensor(delta, task.entries[iPre], -1, chunk);
      }
      inFlight.push({ name: task.name, matrix: mv, bytes, result: compute({ rows, cols, gamma, delta, k, powerIterations, seed }) });
      if (inFlight.length >= concurrency) await emitOldest();
    }
    while (inFlight.length) await emitOldest();
  } finally {
    // A failure or cancel leaves no job unobserved.
    await Promise.allSettled(inFlight.map((j) => j.result));
  }
}
