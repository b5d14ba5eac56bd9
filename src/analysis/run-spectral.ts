/**
 * The spectral pass (issue 13) over the statistics tasks: per matrix tensor, γ = θ_aux − θ_sft read in
 * full as float64 (chunk by chunk, so only one float64 matrix and one float32 chunk are held at a time),
 * its leading singular values, stable rank and energy ranks (./spectral.ts) and, with a downstream
 * checkpoint, the subspace overlap of γ with Δ = θ_down − θ_meta = θ_down − θ_pre − α·γ (the Δ of
 * normDelta and cosGammaDelta). Δ is formed in place over γ's buffer once γ's SVD is taken.
 * With a WebGPU engine the randomised SVD's products run as WGSL kernels (src/compute/linalg/);
 * otherwise (the CLI, the CPU engine) in float64 on the CPU.
 */
import type { Engine } from '../compute/engine';
import { readTensorF32, type TensorEntry } from '../formats/checkpoint';
import { CpuEngine } from '../compute/cpu-engine';
import { decodeToF32 } from '../formats/dtype';
import { isLoraSource, readInput } from '../merge/lora-sources';
import { DEFAULT_CHUNK_ELEMENTS, StatsCancelled, type StatsTask } from './run-stats';
import type { StatsPlan } from './plan';
import { DEFAULT_SPECTRAL_K, matrixShape, spectralSummary, subspaceOverlap, topSvd, type SpectralSummary } from './spectral';

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
  /** Where the randomised SVD's products run: a WebGPU engine runs the WGSL kernels; absent or CPU, float64 on the CPU. */
  engine?: Engine;
  onTensor(t: TensorSpectral): void;
}

/** Forms a LoRA role's values (θ_pre + ΔW, merge/lora-sources.ts) for the spectral pass. */
let loraEngine: CpuEngine | null = null;

/** out[i] (+)= sign·x[i] for the whole tensor, read chunk by chunk as float32. */
async function addTensor(out: Float64Array, e: TensorEntry, sign: number, chunk: number): Promise<void> {
  for (let first = 0; first < out.length; first += chunk) {
    const n = Math.min(chunk, out.length - first);
    const x = isLoraSource(e) ? decodeToF32('F32', (await readInput((loraEngine ??= new CpuEngine()), e, first, n)).bytes) : await readTensorF32(e, first, n);
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
  const svd = { k, seed, powerIterations, signal: o.signal };
  for (const task of o.tasks) {
    if (o.signal?.aborted) throw new StatsCancelled();
    const mv = matrixShape(task.entries[0].shape);
    if (!mv) continue;
    const [rows, cols] = mv;
    const data = new Float64Array(rows * cols);
    await addTensor(data, task.entries[iAux], 1, chunk);
    await addTensor(data, task.entries[iSft], -1, chunk);
    try {
      const g = await spectralSummary({ rows, cols, data }, svd, o.engine);
      const row: TensorSpectral = { name: task.name, matrix: mv, gamma: g.summary };
      if (iDown >= 0 && iPre >= 0) {
        // Δ = θ_down − θ_pre − α·γ, over γ's buffer.
        const a = o.alpha(task.name);
        for (let i = 0; i < data.length; i++) data[i] *= -a;
        await addTensor(data, task.entries[iDown], 1, chunk);
        await addTensor(data, task.entries[iPre], -1, chunk);
        row.overlapGammaDelta = subspaceOverlap(g.svd, await topSvd({ rows, cols, data }, svd, o.engine), k);
      }
      o.onTensor(row);
    } catch (e) {
      // An abort inside an SVD (between its products) reads like one between tensors.
      if (o.signal?.aborted) throw new StatsCancelled();
      throw e;
    }
  }
}
