/**
 * How a merge method is declared (in the spirit of mergekit's MergeMethod classes): the roles it reads,
 * its parameters (global or per model, with defaults, for validation and for UI forms), and a pure
 * function mapping one tensor's resolved parameters to one Engine operation. The executor (./run.ts)
 * does the reading, chunking, TIES thresholds and DARE element offsets.
 */
import type { CombineSpec, DareSpec, TiesSpec } from '../compute/engine';
import type { MergeMethod, Recipe } from './types';

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
}

/** Parameters resolved for one tensor: globals as scalars, model-scoped ones as one value per model. */
export interface TensorParams {
  [name: string]: number | boolean | number[];
}

/** One Engine call per chunk of a tensor; the executor fills outDtype, thresholds and firstElement. */
export type TensorOp =
  | { kind: 'combine'; spec: Omit<CombineSpec, 'outDtype'> }
  /** densities[j]: fraction of |τ_j| kept (top-k per tensor, k = round-down(density · numel) as mergekit). */
  | { kind: 'ties'; spec: Omit<TiesSpec, 'outDtype' | 'thresholds'>; densities: number[] }
  | { kind: 'dare'; spec: Omit<DareSpec, 'outDtype' | 'firstElement' | 'salts'> };

export interface OpContext {
  name: string;
  params: TensorParams;
  /** Number of per-model inputs (multi-model methods). */
  modelCount: number;
}

export interface MethodDef {
  name: MergeMethod;
  label: string;
  doc: string;
  /** Roles that must be bound; 'models' means recipe.roles.models / inputs.models (≥ minModels). */
  roles: ('pre' | 'aux' | 'sft' | 'vector' | 'models')[];
  minModels?: number;
  /** The role whose tensors give the output's names, order, shapes and copied values. */
  base: 'pre' | 'aux' | 'pre-or-first-model';
  params: ParamDecl[];
  /**
   * The per-tensor input list, as role keys: 'pre', 'aux', 'sft', 'vector', or 'model:i'. Indices
   * into this list are what TensorOp terms refer to.
   */
  inputs(recipe: Recipe, modelCount: number): string[];
  /** Method-level checks beyond parameter ranges; returns messages. */
  check?(recipe: Recipe, modelCount: number): string[];
  op(ctx: OpContext): TensorOp;
  /** Output metadata this method adds (e.g. marks a capability-vector file). */
  metadata?: Record<string, string>;
  /** Vector files leave out tensors that are not merged (copies would be meaningless differences). */
  omitCopies?: boolean;
}

export function defineMethod(def: MethodDef): MethodDef {
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
