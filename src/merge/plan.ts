/**
 * From a recipe and opened checkpoints to the list of output tensors: what each one is (merged, or
 * copied from the base and why), its output dtype, and its resolved parameters. Refuses, listing every
 * tensor, when tensors are missing or mismatched and the user has not excluded them.
 */
import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import { dtypeSize, isComputeDType, isFloatDType, type DType } from '../formats/dtype';
import { alignCheckpoints, describeMapping } from '../model/align';
import { bufferKind } from '../model/buffers';
import { isLoraAdapter } from '../model/lora';
import { adapterRole, withoutAdapters, zeroBase } from './lora-sources';
import { getMethod } from './registry';
import type { MethodDef, TensorParams } from './define';
import { LayerIndex } from './layer';
import { matchesAny } from './params';
import { paramFor, validateRecipe } from './recipe';
import type { MergeInputs, MergePlan, PlanIssue, PlannedTensor, Recipe } from './types';

export class MergePlanError extends Error {
  readonly issues: PlanIssue[];
  constructor(summary: string, issues: PlanIssue[]) {
    super(summary);
    this.name = 'MergePlanError';
    this.issues = issues;
  }
  /** The summary and one line per issue (what the CLI prints and the UI lists). */
  describe(limit = 50): string[] {
    const lines = this.issues.slice(0, limit).map((i) => `  ${i.name}: ${i.detail}`);
    if (this.issues.length > limit) lines.push(`  … and ${this.issues.length - limit} more`);
    return [this.message, ...lines];
  }
}

const ROLE_FALLBACK: Record<string, string> = { pre: 'θ_pre', aux: 'θ_aux', sft: 'θ_sft', vector: 'the vector' };

/** The checkpoint bound to a role key ('pre', 'aux', 'model:1', …). */
export function checkpointFor(inputs: MergeInputs, role: string): Checkpoint | undefined {
  if (role.startsWith('model:')) return inputs.models?.[Number(role.slice(6))];
  return (inputs as Record<string, Checkpoint | undefined>)[role];
}

/**
 * A role given as a LoRA adapter becomes θ_pre + ΔW (the `vector` role: ΔW), against θ_pre's tensors
 * (lora-sources.ts); the base role and θ_pre itself must be full checkpoints.
 */
function bindAdapters(byRole: Record<string, Checkpoint>, inputRoles: string[], inputs: MergeInputs, method: string, nameMaps: Recipe['nameMaps'] = {}): void {
  const roleName = (r: string) => ROLE_FALLBACK[r] ?? r;
  const adapters = inputRoles.filter((r) => isLoraAdapter(byRole[r]));
  if (!adapters.length) return;
  const readsPre = inputRoles.includes('pre') && inputs.pre;
  for (const role of adapters) {
    const ck = byRole[role];
    if (role === 'pre' || (readsPre && role === inputRoles[0])) {
      throw new MergePlanError(`${ck.name} is a LoRA adapter: ${roleName(role)} must be a full checkpoint (the model an adapter changes)`, []);
    }
    // Without θ_pre, only differences of adapters are defined (extract: γ = ΔW_a − ΔW_s).
    if (!readsPre && adapters.length < inputRoles.length) {
      throw new MergePlanError(`${ck.name} (${roleName(role)}) is a LoRA adapter, θ_pre + ΔW, but ${method} does not read θ_pre: give the full checkpoint instead, or adapters for all its roles`, []);
    }
  }
  const base = readsPre ? inputs.pre! : zeroBase(adapters.map((r) => byRole[r]));
  const label = readsPre ? `θ_pre (${base.name})` : 'the other adapter';
  // A mapping set by hand for an adapter role lines the adapter's names up with the base's (the alignment then sees the base's names).
  for (const role of adapters) byRole[role] = adapterRole(byRole[role], base, role === 'vector', label, nameMaps[role]);
}

export interface PlanDetail extends MergePlan {
  method: MethodDef;
  /** Role keys of the per-tensor inputs (the method's input list). */
  inputRoles: string[];
  /** For each output tensor: its entry in each input role (copies: only the base entry, at index 0). */
  sources: TensorEntry[][];
}

export function planMerge(recipe: Recipe, inputs: MergeInputs): PlanDetail {
  const errs = validateRecipe(recipe);
  if (errs.length) throw new MergePlanError(`the recipe is not valid: ${errs[0]}`, errs.map((e) => ({ name: 'recipe', kind: 'note', detail: e })));
  const method = getMethod(recipe.method);
  const modelCount = inputs.models?.length ?? 0;
  if (method.roles.includes('models') && modelCount < (method.minModels ?? 1)) {
    throw new MergePlanError(`${recipe.method} needs at least ${method.minModels ?? 1} model(s) (--models)`, []);
  }
  if (recipe.roles.models && recipe.roles.models.length !== modelCount && method.roles.includes('models')) {
    throw new MergePlanError(`the recipe names ${recipe.roles.models.length} models but ${modelCount} were given`, []);
  }
  const inputRoles = method.inputs(recipe, modelCount);
  const byRole: Record<string, Checkpoint> = {};
  for (const role of inputRoles) {
    const ck = checkpointFor(inputs, role);
    if (!ck) throw new MergePlanError(`${recipe.method} needs ${ROLE_FALLBACK[role] ?? role} (role '${role}') but none was given`, []);
    byRole[role] = ck;
  }
  for (const c of method.check?.(recipe, modelCount) ?? []) throw new MergePlanError(c, []);
  const alignMaps = withoutAdapters(recipe.nameMaps ?? {}, byRole);
  bindAdapters(byRole, inputRoles, inputs, recipe.method, recipe.nameMaps);

  const base = byRole[inputRoles[0]];
  for (const role of Object.keys(recipe.nameMaps ?? {})) {
    if (role === inputRoles[0] || !inputRoles.includes(role)) {
      const others = inputRoles.slice(1).join(', ');
      throw new MergePlanError(role === inputRoles[0]
        ? `a name mapping for ${role} cannot apply: the output keeps ${role}'s names (map ${others} instead)`
        : `a name mapping names role '${role}', which is not an input of ${recipe.method} (${others})`, []);
    }
  }
  const report = alignCheckpoints(byRole, alignMaps);
  const matched = new Map(report.matched.map((m) => [m.name, m]));
  const excluded = (name: string) => matchesAny(recipe.exclude, name);
  const optionalVector = method.roles.includes('vector');
  const blocking: PlanIssue[] = [];
  const notes: string[] = [];
  let vectorGaps = 0;
  // Buffers are copied from the base (model/buffers.ts): where they are missing or shaped differently elsewhere does not matter.
  const baseEntries = new Map(base.tensors.map((t) => [t.name, t] as const));
  const copiedBuffer = (name: string) => {
    const e = baseEntries.get(name);
    const kind = e ? bufferKind(e.name, e.dtype) : undefined;
    return kind === 'integer' || (kind === 'statistics' && !recipe.includeBuffers);
  };
  for (const is of report.issues) {
    if (is.kind === 'dtype') continue;
    if (excluded(is.name)) continue;
    if (copiedBuffer(is.name)) continue;
    // A capability vector leaves out what it did not change: pre's extra tensors are copied.
    if (optionalVector && is.kind === 'missing' && is.missingIn?.length === 1 && is.missingIn[0] === 'vector') {
      vectorGaps += 1;
      continue;
    }
    blocking.push({ name: is.name, kind: is.kind, detail: is.detail });
  }
  for (const mp of report.mappings) notes.push(`${mp.role}'s tensor names lined up with ${inputRoles[0]}'s${mp.manual ? ' (set by hand)' : ''}: ${describeMapping(mp)} (${mp.count} tensors); the output keeps ${inputRoles[0]}'s names`);
  if (vectorGaps) notes.push(`${vectorGaps} tensor(s) absent from the vector are copied from θ_pre`);
  if (blocking.length) {
    throw new MergePlanError(
      `cannot merge: ${blocking.length} tensor(s) are missing or have mismatched shapes${blocking.some((b) => b.kind === 'collision') ? ' or are read twice by a name mapping' : ''}; exclude them (--exclude NAME) to copy them from ${inputRoles[0]} unchanged`,
      blocking,
    );
  }

  const layers = new LayerIndex(base.tensors.map((t) => t.name));
  const tensors: PlannedTensor[] = [];
  const sources: TensorEntry[][] = [];
  let inputBytes = 0;
  let outputBytes = 0;
  const nonCompute = new Map<string, number>();
  const buffers: string[] = [];
  const declared = method.params;
  for (const entry of base.tensors) {
    const m = matched.get(entry.name);
    let reason: 'buffer' | 'non-float' | 'excluded' | 'not-included' | undefined;
    const buffer = bufferKind(entry.name, entry.dtype);
    if (buffer === 'statistics' && !recipe.includeBuffers) reason = 'buffer';
    else if (buffer === 'integer') reason = recipe.includeBuffers ? 'non-float' : 'buffer';
    else if (excluded(entry.name) || !m) reason = 'excluded';
    else if (recipe.include?.length && !matchesAny(recipe.include, entry.name)) reason = 'not-included';
    else if (inputRoles.some((r) => !isFloatDType(m.entries[r].dtype))) reason = 'non-float';
    if (reason && method.writesVector) continue;
    const n = entry.shape.reduce((a, b) => a * b, 1);
    let dtype: DType;
    if (reason) {
      // Float copies follow a chosen output dtype; everything else is copied byte for byte.
      dtype = recipe.outDtype !== 'keep' && isComputeDType(entry.dtype) ? recipe.outDtype : entry.dtype;
    } else if (recipe.outDtype !== 'keep') dtype = recipe.outDtype;
    else if (isComputeDType(entry.dtype)) dtype = entry.dtype;
    else {
      dtype = 'F32';
      nonCompute.set(entry.dtype, (nonCompute.get(entry.dtype) ?? 0) + 1);
    }
    const t = layers.position(entry.name);
    const params: TensorParams = {};
    for (const d of declared) {
      params[d.name] =
        d.scope === 'global'
          ? paramFor(recipe, d.name, entry.name, t)
          : Array.from({ length: modelCount }, (_, i) => Number(paramFor(recipe, d.name, entry.name, t, i)));
    }
    const byteLength = dtype === entry.dtype ? entry.byteLength : n * dtypeSize(dtype);
    tensors.push({ name: entry.name, shape: entry.shape, dtype, numel: n, byteLength, action: reason ? { kind: 'copy', reason } : { kind: 'merge' }, params });
    if (reason === 'buffer') buffers.push(entry.name);
    if (reason) {
      sources.push([entry]);
      inputBytes += entry.byteLength;
    } else {
      const row = inputRoles.map((r) => m!.entries[r]);
      sources.push(row);
      for (const e of row) inputBytes += e.byteLength;
    }
    outputBytes += byteLength;
  }
  for (const [d, c] of nonCompute) notes.push(`${c} ${d} tensor(s) were computed via decoding to float32 and are written as F32 (choose an output dtype to change this)`);
  if (report.dtypeMismatches) notes.push(`${report.dtypeMismatches} tensor(s) have different dtypes across inputs; each is decoded from its own dtype`);
  if (buffers.length && !method.writesVector) {
    const shown = buffers.slice(0, 4).join(', ') + (buffers.length > 4 ? ', …' : '');
    notes.push(`${buffers.length} tensor(s) copied (buffer) from ${inputRoles[0]}: running statistics, normalisation buffers, integer and bool tensors are not weights (${shown})${recipe.includeBuffers ? '' : '; merge the float ones with --include-buffers'}`);
  }
  if (recipe.includeBuffers) {
    const merged = tensors.filter((x) => x.action.kind === 'merge' && bufferKind(x.name, 'F32') === 'statistics').length;
    if (merged) notes.push(`${merged} float buffer(s) merged like weights (--include-buffers)`);
  }
  const copies = tensors.filter((x) => x.action.kind === 'copy');
  if (copies.length) {
    const by = new Map<string, number>();
    for (const c of copies) by.set(c.action.reason!, (by.get(c.action.reason!) ?? 0) + 1);
    notes.push(`copied unchanged from ${inputRoles[0]}: ${[...by].map(([k, v]) => `${v} ${k}`).join(', ')}`);
  }
  if (method.writesVector && recipe.outDtype !== 'F32' && tensors.some((x) => x.dtype !== 'F32')) {
    notes.push('the vector is stored in the inputs’ dtype; a difference of two bf16/f16 values may not be exact in that dtype (use --dtype f32 to keep every bit)');
  }
  return { recipe, tensors, blocking, notes, inputBytes, outputBytes, layerCount: layers.layerCount, method, inputRoles, sources };
}
