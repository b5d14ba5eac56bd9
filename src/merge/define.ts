/**
 * How a merge method is declared (in the spirit of mergekit's MergeMethod classes): the roles it reads,
 * its parameters (global or per model, with defaults, for validation, UI forms and CLI flags), a pure
 * function mapping one tensor's resolved parameters to one Engine operation (its spec per chunk), and
 * the mergekit config that repeats it. Everything else is derived from these declarations
 * (./registry.ts): the method names, their order, the CLI's methods and flags, the recipe YAML. The
 * executor (./run.ts) does the reading, chunking and the per-tensor passes an op asks for.
 */
import type { ChunkInput } from '../compute/engine';
import type { OpName, OpResult, OpSpec } from '../compute/ops';
import type { ComputeDType } from '../formats/dtype';
import type { MergekitConfig } from './mergekit';
import type { RecipeShape } from './recipe-shape';

export interface ParamDecl {
  name: string;
  /** 'global': one value for the merge; 'model': one per model (falls back to the global value of that name). */
  scope: 'global' | 'model';
  kind: 'number' | 'boolean' | 'integer';
  default: number | boolean;
  min?: number;
  max?: number;
  label: string;
  doc: string;
  /**
   * How the CLI sets it. By default a boolean is a switch (--name, --no-name), a per-model number one
   * value or one per model (--name 1,0.5), a global one a value (--name 0.8, a gradient or JSON rules).
   * 'global': a per-model parameter set by its global value instead (--name 0.3).
   */
  cli?: 'global';
}

/** Parameters resolved for one tensor: globals as scalars, model-scoped ones as one value per model. */
export interface TensorParams {
  [name: string]: number | boolean | number[];
}

/** The compute ops (../compute/ops.ts) a merge runs on a chunk: those whose result is the output chunk's bytes. */
export type ChunkOpName = { [K in OpName]: OpResult<K> extends Uint8Array ? K : never }[OpName];

/** Where one engine call of a tensor falls: what the executor knows when it makes the call. */
export interface ChunkSite {
  /** The tensor's name and element count. */
  name: string;
  numel: number;
  /** Index in the tensor of the chunk's first element (DARE's masks depend on it). */
  first: number;
  outDtype: ComputeDType;
  /**
   * A value computed once per tensor before its first chunk and shared by all its chunks, also those in
   * flight at once (TIES' thresholds): `make` runs for the tensor's first chunk only.
   */
  perTensor<T>(make: (reads: TensorReads) => Promise<T>): Promise<T>;
}

/** A tensor's inputs, for a pass over the whole tensor before its first chunk is merged. */
export interface TensorReads {
  numel: number;
  /** The inputs when the first chunk holds the whole tensor, else null. */
  whole: ChunkInput[] | null;
  /** Reads the inputs at `which` (indices into the method's input list) chunk by chunk, in order. */
  stream(which: number[], visit: (chunks: ChunkInput[]) => void): Promise<void>;
}

/**
 * Spec fields that vary by chunk or need a pass over the whole tensor, for the ops whose calls have
 * any: the TensorOp's `chunk` gives them for each call.
 */
interface PerChunkFields {
  ties: 'thresholds';
  dare: 'salts' | 'firstElement';
  lora: 'first';
}
type ChunkFields<K extends ChunkOpName> = K extends keyof PerChunkFields ? PerChunkFields[K] & keyof OpSpec<K> : never;

/**
 * What a method asks of the engine for one merged tensor: an op of the table and its call's spec. The
 * executor makes each chunk's call as engine[kind](chunk, { ...spec, ...chunk(site), outDtype }) and
 * knows no op by name.
 */
export type TensorOpOf<K extends ChunkOpName> = {
  kind: K;
  /** The fields that are the same for every chunk of the tensor. */
  spec: Omit<OpSpec<K>, 'outDtype' | ChunkFields<K>>;
  /** Passes over all the tensor's inputs that `chunk` makes beside the merge (for the progress total). */
  extraPasses?(numel: number, chunkElems: number): number;
} & ([ChunkFields<K>] extends [never] ? { chunk?: undefined } : {
  /** The fields that vary by chunk. */
  chunk(at: ChunkSite): Pick<OpSpec<K>, ChunkFields<K>> | Promise<Pick<OpSpec<K>, ChunkFields<K>>>;
});
export type TensorOp = { [K in ChunkOpName]: TensorOpOf<K> }[ChunkOpName];

export interface OpContext {
  name: string;
  params: TensorParams;
  /** Number of per-model inputs (multi-model methods). */
  modelCount: number;
}

export type MethodRole = 'pre' | 'aux' | 'sft' | 'vector' | 'models';

export interface MethodDef<N extends string = string> {
  name: N;
  label: string;
  doc: string;
  /** Roles that must be bound; 'models' means recipe.roles.models / inputs.models (≥ minModels). */
  roles: readonly MethodRole[];
  minModels?: number;
  /** The role whose tensors give the output's names, order, shapes and copied values. */
  base: 'pre' | 'aux' | 'pre-or-first-model';
  params: ParamDecl[];
  /**
   * The per-tensor input list, as role keys: 'pre', 'aux', 'sft', 'vector', or 'model:i'. Indices
   * into this list are what TensorOp terms refer to.
   */
  inputs(recipe: RecipeShape, modelCount: number): string[];
  /** Method-level checks beyond parameter ranges; returns messages. */
  check?(recipe: RecipeShape, modelCount: number): string[];
  op(ctx: OpContext): TensorOp;
  /** The mergekit config that repeats this merge (helpers: ./mergekit.ts). */
  mergekit(recipe: RecipeShape): MergekitConfig;
  /** Output metadata this method adds (e.g. marks a capability-vector file). */
  metadata?: Record<string, string>;
  /**
   * The output is a capability-vector file: it leaves out tensors that are not merged (copies would be
   * meaningless differences) and is named capability-vector.safetensors by the app.
   */
  writesVector?: boolean;
  /** A CLI sub-command of its own (`capvector extract`) with its usage line; without, `capvector merge --method <name>` runs it. */
  command?: { name: string; usage: string };
}

/** Keeps the literal name, from which the registry derives the MergeMethod union. */
export function defineMethod<const N extends string>(def: MethodDef<N>): MethodDef<N> {
  return def;
}

export const num = (p: TensorParams, k: string): number => {
  const v = p[k];
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`parameter ${k} is not a scalar`);
};
export const bool = (p: TensorParams, k: string): boolean => {
  const v = p[k];
  return typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : false;
};
export const perModel = (p: TensorParams, k: string, n: number): number[] => {
  const v = p[k];
  if (Array.isArray(v)) return v;
  return new Array(n).fill(typeof v === 'number' ? v : Number(v));
};

/** Role keys 'pre', 'model:0', 'model:1', … for the multi-model methods. */
export const preAndModels = (n: number) => ['pre', ...Array.from({ length: n }, (_, i) => `model:${i}`)];
