/**
 * Messages between the analysis panel (main thread) and src/workers/analysis.worker.ts. Plain data
 * only: Blobs go in (the Worker reopens the checkpoints), per-tensor accumulators come out in batches.
 */
import type { StatsPlan } from '../analysis/plan';
import type { AlphaSpec } from '../analysis/aggregate';
import type { TensorSpectral } from '../analysis/run-spectral';
import type { SkippedTensor, StatsProgress, TensorStats } from '../analysis/run-stats';
import type { NameMapOverride } from '../model/align';

export type AnalysisEngineChoice = 'auto' | 'webgpu' | 'cpu';

export interface AnalysisRunRequest {
  type: 'run';
  id: number;
  plan: StatsPlan;
  /** One entry per plan role. */
  inputs: { role: string; files: { path: string; blob: Blob }[] }[];
  engine: AnalysisEngineChoice;
  /** Elements per engine call (tests use small chunks to exercise chunking). */
  chunkElements?: number;
  /** Name mappings set by hand (role → mapping onto θ_pre's names). */
  nameMaps?: Record<string, NameMapOverride>;
  /** After the statistics, the spectral pass (the low-rank view) over the same tasks. */
  spectral?: SpectralRequest;
}

export interface SpectralRequest {
  k: number;
  powerIterations: number;
  /** α of Δ = θ_down − θ_pre − α·γ in the γ–Δ overlap (as `capvector stats --alpha`). */
  alpha: AlphaSpec;
  /** Also the overlap of τ_aux and τ_sft (two more SVDs per matrix). */
  tauOverlap: boolean;
}

export type AnalysisToWorker = AnalysisRunRequest | { type: 'cancel'; id: number };

export interface AnalysisEngineInfo {
  kind: 'webgpu' | 'cpu';
  reason: string;
}

export type AnalysisFromWorker =
  | { type: 'start'; id: number; tensorsTotal: number; bytesTotal: number; skipped: SkippedTensor[]; engine: AnalysisEngineInfo }
  | { type: 'tensors'; id: number; tensors: TensorStats[]; progress: StatsProgress }
  | { type: 'spectral-start'; id: number; tensorsTotal: number; bytesTotal: number }
  | { type: 'spectra'; id: number; spectra: TensorSpectral[]; progress: StatsProgress }
  | { type: 'done'; id: number; progress: StatsProgress | null }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };
