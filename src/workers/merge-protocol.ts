/**
 * Messages between the merge panel (main thread) and src/workers/merge.worker.ts.
 * Everything here is structured-cloneable: Blobs and File System Access handles cross postMessage,
 * parsed checkpoints and engines do not (the Worker reopens and chooses on its side).
 */
import type { EngineChoice } from '../merge/recipe-draft';
import type { MergeProgress, MergeResult, PlanIssue, Recipe } from '../merge/types';

/** Where the output goes; both write as the merge runs, neither leaves a complete-looking file on cancel. */
export type SinkSpec =
  /** Origin-private file system, then a download of the finished file(s). */
  | { kind: 'opfs' }
  /** File System Access: one file picked by showSaveFilePicker (single-file output). */
  | { kind: 'fsa-file'; handle: FileSystemFileHandle }
  /** File System Access: a folder picked by showDirectoryPicker (sharded output, or any). */
  | { kind: 'fsa-dir'; handle: FileSystemDirectoryHandle };

export interface RoleInput {
  role: string;
  files: { path: string; blob: Blob }[];
}

export interface RunRequest {
  type: 'run';
  id: number;
  recipe: Recipe;
  /** 'pre' | 'aux' | 'sft' | 'vector', and 'model:<i>' for recipe.roles.models[i]. */
  inputs: RoleInput[];
  engine: EngineChoice;
  sink: SinkSpec;
  fileName?: string;
  /** Hash the inputs into the metadata (a second sequential read of each file). */
  hashInputs: boolean;
  /** Take the digests of unchanged inputs from the IndexedDB hash cache (default true). */
  hashCache?: boolean;
  /** Method 'extract' only: write γ as a PEFT LoRA adapter (src/merge/lora/export.ts) instead of dense. */
  lora?: { maxRank: number; energy?: number; powerIterations?: number };
}

export interface CancelRequest {
  type: 'cancel';
  id: number;
}

export type ToWorker = RunRequest | CancelRequest;

export interface EngineInfo {
  kind: 'webgpu' | 'cpu';
  /** Why this engine: the measurement, a forced choice, or why WebGPU was unavailable. */
  reason: string;
  measurements?: unknown;
}

export interface ResultFile {
  name: string;
  bytes: number;
  /** The finished file, readable (OPFS, or the picked file when the browser lets us read it back). */
  file?: File;
}

/**
 * When each step of a run was reached in the Worker, in epoch milliseconds (timeOrigin + now(), so the
 * page and a benchmark can line them up with their own clocks): where a person's wait goes.
 */
export type RunTimings = Partial<Record<'received' | 'opened' | 'engine' | 'merging' | 'hashing' | 'committing' | 'merged' | 'finished', number>>;

export const epochNow = (): number => performance.timeOrigin + performance.now();

export type FromWorker =
  | { type: 'engine'; id: number; info: EngineInfo }
  | { type: 'progress'; id: number; progress: MergeProgress }
  | { type: 'done'; id: number; result: Omit<MergeResult, 'files'>; files: ResultFile[]; engine: EngineInfo; sink: SinkSpec['kind']; timings: RunTimings }
  | { type: 'refused'; id: number; blocking: PlanIssue[]; message: string }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id: number; message: string };

/**
 * Lets through at most one progress message per `intervalMs` (the UI repaints ~10×/s, not per chunk);
 * the final 'done' progress always passes.
 */
export function progressThrottle(intervalMs = 100, now: () => number = () => performance.now()) {
  let last = -Infinity;
  let lastPhase = '';
  return (p: MergeProgress): boolean => {
    const t = now();
    // A phase change (merging → hashing → committing) always shows, so the UI never looks stuck.
    if (p.phase === 'done' || p.phase !== lastPhase || t - last >= intervalMs) {
      last = t;
      lastPhase = p.phase;
      return true;
    }
    return false;
  };
}
