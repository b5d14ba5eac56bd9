/**
 * One matrix of the spectral pass as a self-contained job (γ, and Δ for the overlap, already formed in
 * float64): what ./run-spectral.ts computes in its own thread, or hands to worker threads in the CLI
 * (src/node/spectral-pool.ts), which run this same function, so the numbers are the same either way.
 */
import { spectralSummary, subspaceOverlap, topSvd, type SpectralSummary } from './spectral';

export interface SpectralJob {
  rows: number;
  cols: number;
  gamma: Float64Array;
  /** Δ = θ_down − θ_pre − α·γ, for the subspace overlap. */
  delta?: Float64Array;
  k: number;
  powerIterations: number;
  seed: number;
}

export interface SpectralJobResult {
  gamma: SpectralSummary;
  overlapGammaDelta?: number | null;
}

/** Runs a job's matrices (on any thread); the caller awaits results in task order. */
export type SpectralCompute = (job: SpectralJob) => Promise<SpectralJobResult>;

export function computeSpectralJob(j: SpectralJob): SpectralJobResult {
  const opts = { k: j.k, seed: j.seed, powerIterations: j.powerIterations };
  const g = spectralSummary({ rows: j.rows, cols: j.cols, data: j.gamma }, opts);
  if (!j.delta) return { gamma: g.summary };
  return { gamma: g.summary, overlapGammaDelta: subspaceOverlap(g.svd, topSvd({ rows: j.rows, cols: j.cols, data: j.delta }, opts), j.k) };
}

export const computeInThread: SpectralCompute = async (j) => computeSpectralJob(j);
