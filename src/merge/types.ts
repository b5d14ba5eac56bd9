/**
 * The merge contract: what a recipe is, what the executor needs, and what it reports.
 * The CLI (Node) and the browser Worker both drive `runMerge` (./run.ts) with these types; everything
 * here is plain data (structured-cloneable) except the Checkpoint readers, the Engine and the sink.
 *
 * Entry points (other files of src/merge):
 *   planMerge(recipe, inputs): MergePlan                    ./plan.ts   (throws MergePlanError listing blocking issues)
 *   runMerge(recipe, inputs, options): Promise<MergeResult>  ./run.ts    (plans, streams, writes, commits or aborts)
 *   defaultRecipe(method), validateRecipe(recipe)            ./recipe.ts
 *   recipeToMergekitYaml(recipe), recipeToJson(recipe)       ./recipe-yaml.ts
 *   METHODS / METHOD_ORDER / getMethod(name)                 ./registry.ts (every method's file under ./methods: roles, params, op, mergekit mapping)
 *   memorySink()                                             ./memory-sink.ts (in-memory OutputSink for tests/small exports)
 */
import type { Checkpoint } from '../formats/checkpoint';
import type { ByteSource } from '../formats/byte-source';
import type { DType } from '../formats/dtype';
import type { Engine } from '../compute/engine';
import type { MergeMethod } from './registry';
import type { RecipeShape } from './recipe-shape';

export type { MergeMethod } from './registry';
export type { ModelRef, OutDtype, ParamRule, ParamValue } from './recipe-shape';

/** A recipe of one of the registered methods (its fields: ./recipe-shape.ts). */
export type Recipe = RecipeShape<MergeMethod>;

/** The checkpoints bound to the recipe's roles (already opened: headers parsed, data read lazily). */
export interface MergeInputs {
  pre?: Checkpoint;
  aux?: Checkpoint;
  sft?: Checkpoint;
  vector?: Checkpoint;
  /** For multi-model methods, in the order of recipe.roles.models. */
  models?: Checkpoint[];
  /**
   * The raw input files, for SHA-256 in the output metadata. Omit to skip hashing (the metadata
   * then says so). Hashed in a separate sequential read of each file running beside the merge.
   */
  files?: { role: string; name: string; source: ByteSource }[];
}

/** What happens to one output tensor. */
export type TensorAction =
  | { kind: 'merge'; reason?: undefined }
  /** Copied byte-for-byte (or converted when the output dtype differs) from the base role. */
  | { kind: 'copy'; reason: 'buffer' | 'non-float' | 'excluded' | 'not-included' | 'non-compute-float' };

export interface PlannedTensor {
  name: string;
  shape: number[];
  /** Output dtype of this tensor. */
  dtype: DType;
  numel: number;
  /** Output bytes. */
  byteLength: number;
  action: TensorAction;
  /** Resolved scalar params for this tensor (globals, and per-model arrays as `weight[i]`-style lists). */
  params: Record<string, number | boolean | number[]>;
}

export interface PlanIssue {
  name: string;
  kind: 'missing' | 'shape' | 'dtype' | 'collision' | 'note';
  detail: string;
}

export interface MergePlan {
  recipe: Recipe;
  /** Output tensors in the base checkpoint's order. */
  tensors: PlannedTensor[];
  /** Problems that block the merge (missing/shape) — `planMerge` throws when any is left unexcluded. */
  blocking: PlanIssue[];
  /** Things the user should know (dtype differences, F8 computed via decode and written F32, …). */
  notes: string[];
  /** Bytes read from inputs for the merge (the progress denominator together with output bytes). */
  inputBytes: number;
  outputBytes: number;
  /** Layer count used for gradient params. */
  layerCount: number;
}

export interface MergeProgress {
  phase: 'merging' | 'hashing' | 'committing' | 'done';
  bytesRead: number;
  bytesWritten: number;
  /** Input + output bytes of the whole job: (bytesRead + bytesWritten) / totalBytes is the fraction. */
  totalBytes: number;
  tensorsDone: number;
  tensorCount: number;
  /** Bytes (read + written) per second so far. */
  rate: number;
  etaSeconds: number;
  currentTensor: string;
}

/** One output file being written, in order. Random-access `writeAt` lets the header be patched at the end. */
export interface OutputFile {
  write(bytes: Uint8Array): Promise<void>;
  /** Overwrites bytes at a position already written (used once to patch input hashes into the header). */
  writeAt?(position: number, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where an export goes. Nothing may look complete until `commit` (Node: `*.partial` then rename;
 * browser: OPFS / File System Access writable only closed on commit); `abort` removes everything written.
 */
export interface OutputSink {
  createFile(name: string, size: number): Promise<OutputFile>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** SHA-256 implementation (the TS one in ./sha256, or node:crypto in the CLI for speed). */
export interface Hasher {
  update(bytes: Uint8Array): void;
  /** Lower-case hex digest. */
  digest(): string;
}

export interface RunOptions {
  engine: Engine;
  sink: OutputSink;
  /** Output base name for a single file (default 'model.safetensors'); shards are model-0000k-of-0000n.safetensors + model.safetensors.index.json. */
  fileName?: string;
  onProgress?: (p: MergeProgress) => void;
  signal?: AbortSignal;
  /** Max elements per chunk (also capped by engine.maxChunkElements and chunkBytes). */
  chunkElements?: number;
  /** Chunks computed at once (default 1); worth more than 1 only with a pool engine (src/node/cpu-pool.ts) or a GPU queue. */
  concurrency?: number;
  /** Max bytes of one input chunk (default 32 MiB). */
  chunkBytes?: number;
  /** SHA-256 factory for input hashes; default the TS implementation. */
  createHasher?: () => Hasher;
  /** Called with a job's input chunks once its output is computed: their buffers may be reused. */
  recycle?: (chunks: { bytes: Uint8Array }[]) => void;
  /**
   * Hashes all input files at once instead (the Node CLI: several files in parallel in worker threads,
   * off the main thread that feeds the merge). Calls onBytes as bytes are hashed; hex digests in order.
   */
  hashFiles?: (files: NonNullable<MergeInputs['files']>, onBytes: (n: number) => void, signal?: AbortSignal) => Promise<string[]>;
  /** Tool version written into the metadata. */
  toolVersion?: string;
  /** Small files written beside the output and committed with it (e.g. recipe.json, mergekit.yaml). */
  extraFiles?: { name: string; bytes: Uint8Array }[];
}

export interface MergeResult {
  /** Files written, in order (shards then the index). */
  files: { name: string; bytes: number }[];
  tensors: number;
  merged: number;
  copied: number;
  bytesRead: number;
  bytesWritten: number;
  seconds: number;
  /** Input hashes (empty when not computed). */
  inputHashes: { role: string; name: string; sha256: string }[];
  notes: string[];
  engine: 'webgpu' | 'cpu';
}
