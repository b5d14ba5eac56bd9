/**
 * The data a recipe holds, for any method name. It sits apart from ./types.ts because the method files
 * read recipes while the method names are derived from those files (./registry.ts): ./types.ts narrows
 * `method` to the registered names, and nothing here imports the registry, so no import goes round.
 */

/** A rule of a parameter: the first rule whose `filter` is a substring of the tensor name wins; a rule without filter is the default. */
export interface ParamRule {
  filter?: string;
  value: number | boolean | number[];
}

/**
 * A parameter value, mergekit-style: a scalar, a per-layer gradient list (linearly interpolated at
 * layer/(layers−1)),
 * or a list of {filter, value} rules (a rule value may itself be a gradient). Gradients use the tensor's
 * layer index inside its own stack (./layer.ts); tensors outside any layer take t = 0, except head/final
 * norm tensors (lm_head, final norm) which take t = 1 — mergekit's pre/post weights.
 */
export type ParamValue = number | boolean | number[] | ParamRule[];

export type OutDtype = 'keep' | 'F32' | 'F16' | 'BF16';

/** One model of a multi-model method (task-arithmetic, ties, dare, linear) with its own parameters (weight, density). */
export interface ModelRef {
  /** Display name / path; informative only (the checkpoint itself comes through MergeInputs). */
  name: string;
  params?: Record<string, ParamValue>;
}

/**
 * A merge recipe: JSON-able, saved into the output's `__metadata__` and exportable as mergekit YAML.
 * The parameters each method takes are declared in its file under ./methods (`params`). Per-model
 * params fall back to the global value of the same name (as mergekit does).
 */
export interface RecipeShape<M extends string = string> {
  method: M;
  roles: {
    pre?: string;
    aux?: string;
    sft?: string;
    /** A saved capability vector (method 'apply'). */
    vector?: string;
    models?: ModelRef[];
  };
  params: Record<string, ParamValue>;
  /** Only tensors matching one of these (substring, or /regex/flags) are merged; default all. */
  include?: string[];
  /** Tensors matching one of these are copied unchanged from the base (pre; aux for extract). Also the way to accept missing/mismatched tensors. */
  exclude?: string[];
  outDtype: OutDtype;
  /** Max bytes per output shard; 0 = a single file. */
  shardSize: number;
  /**
   * Merge float buffers (BatchNorm running statistics, LeRobot normalisation buffers) like weights.
   * By default every buffer, and every integer or bool tensor, is copied from the base (model/buffers.ts).
   */
  includeBuffers?: boolean;
  /**
   * Name mappings set by hand, per input role (not the base): that role's names starting with `from` are
   * read as `to` + the rest, replacing the automatic alignment (model/align.ts); `{from: '', to: ''}`
   * takes its names as they are. The output keeps the base's names. CLI: --map ROLE:FROM=TO.
   */
  nameMaps?: Record<string, { from: string; to: string }>;
}
