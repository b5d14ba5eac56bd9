/**
 * Messages between the analysis panel (main thread) and src/workers/analysis.worker.ts. Plain data
 * only: Blobs go in (the Worker reopens the checkpoints), per-tensor accumulators come out in batches.
 */
import type { StatsPlan } from '../analysis/plan';
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
}

export type AnalysisToWorker = AnalysisRunRequest | { type: 'cancel'; id: number };

export interface AnalysisEngineInfo {
  kind: 'webgpu' | 'cpu';
  reason: string;
}

export type AnalysisFromWorker =
  | { type: 'start'; id: number; tensorsTotal: number; bytesTotal: number; skipped: SkippedTensor[]; engine: AnalysisEngineInfo }
  | { type: 'tensors'; id: number; tensors: TensorStats[]; progress: StatsProgress }
  | { type: 'done'; id: number; progress: StatsProgress | null }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };
