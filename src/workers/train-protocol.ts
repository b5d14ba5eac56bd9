/** Messages between the finetune panel and its Worker (plain, structured-cloneable data). */
import type { CkptId, ExperimentEvent, StageId } from '../train/experiment';
import type { ExperimentParams } from '../train/params';
import type { Rollout } from '../train/evaluate';
import type { TaskSetId } from '../train/tasks';

/** Whose rollouts: one of the experiment's checkpoints, or the scripted expert (the demonstrations' teacher). */
export type RolloutSource = CkptId | 'expert';

export type BackendChoice = 'auto' | 'webgpu' | 'wasm' | 'cpu';

export type TrainRequest =
  | { type: 'init'; backend: BackendChoice }
  | { type: 'set-pre'; tensors: Record<string, Float32Array>; source: string }
  /** Loads θ_pre from a safetensors URL (the shipped weights). */
  | { type: 'load-pre'; url: string; source: string }
  | { type: 'run'; stages: StageId[] | 'all'; params: ExperimentParams }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  | { type: 'export'; id: CkptId; requestId: number }
  | { type: 'rollouts'; source: RolloutSource; set: TaskSetId; episodes: number; requestId: number };

export type TrainReply =
  | { type: 'backend'; name: string; detail: string }
  | { type: 'event'; event: ExperimentEvent }
  | { type: 'status'; status: 'running' | 'paused' | 'idle' }
  | { type: 'finished'; outcome: 'done' | 'cancelled' | 'error'; message?: string; job: 'load' | 'run' }
  | { type: 'exported'; requestId: number; name: string; bytes: Uint8Array }
  | { type: 'export-failed'; requestId: number; message: string }
  | { type: 'rollouts'; requestId: number; rollouts: Rollout[] }
  | { type: 'rollouts-failed'; requestId: number; message: string }
  | { type: 'error'; message: string };
