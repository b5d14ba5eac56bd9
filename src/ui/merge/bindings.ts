/**
 * Binds a recipe draft to the loaded checkpoints: which checkpoint plays each role the method needs,
 * the recipe with their names filled in, the opened inputs for a main-thread plan preview, and the
 * Blob lists the Worker reopens. Pure (no React): the panel calls it inside useMemo.
 */
import type { LoadedCheckpoint } from '../../store/workbench';
import { METHODS } from '../../merge/registry';
import { MergePlanError, planMerge, type PlanDetail } from '../../merge/plan';
import type { MergeInputs, Recipe } from '../../merge/types';
import type { RoleInput } from '../../workers/merge-protocol';

export interface Binding {
  /** Role key ('pre', 'aux', 'sft', 'vector', 'model:0', …) → the checkpoint bound to it. */
  bound: { role: string; label: string; ck: LoadedCheckpoint | undefined }[];
  /** Labels of roles still unbound (Run stays disabled while any is). */
  unbound: string[];
  recipe: Recipe;
  inputs: MergeInputs;
  roleInputs: RoleInput[];
}

const LABELS: Record<string, string> = { pre: 'θ_pre (pretrained)', aux: 'θ_aux (auxiliary-finetuned)', sft: 'θ_sft (SFT-finetuned)', vector: 'capability vector γ' };

export function bindDraft(
  recipe: Recipe,
  checkpoints: LoadedCheckpoint[],
  roles: Record<string, string | undefined>,
  modelIds: string[],
  vectorId: string | undefined,
  nameMaps: Readonly<Record<string, { from: string; to: string }>> = {},
): Binding {
  const byId = new Map(checkpoints.map((c) => [c.id, c]));
  const def = METHODS[recipe.method];
  const bound: Binding['bound'] = [];
  for (const r of def.roles) {
    if (r === 'models') {
      if (modelIds.length === 0) bound.push({ role: 'models', label: `models (at least ${def.minModels ?? 1})`, ck: undefined });
      modelIds.forEach((id, i) => bound.push({ role: `model:${i}`, label: `model ${i + 1}`, ck: byId.get(id) }));
    } else {
      const id = r === 'vector' ? vectorId : roles[r];
      bound.push({ role: r, label: LABELS[r] ?? r, ck: id ? byId.get(id) : undefined });
    }
  }
  const unbound = bound.filter((b) => !b.ck).map((b) => b.label);
  if (def.roles.includes('models') && modelIds.length < (def.minModels ?? 1) && !unbound.length) unbound.push('models');

  const names: Recipe['roles'] = {};
  const inputs: MergeInputs = {};
  const roleInputs: RoleInput[] = [];
  const models: NonNullable<Recipe['roles']['models']> = [];
  for (const b of bound) {
    if (!b.ck) continue;
    roleInputs.push({ role: b.role, files: b.ck.inputs });
    if (b.role.startsWith('model:')) {
      const i = Number(b.role.slice(6));
      models[i] = { name: b.ck.checkpoint.name, params: recipe.roles.models?.[i]?.params ?? {} };
      (inputs.models ??= [])[i] = b.ck.checkpoint;
    } else {
      (names as Record<string, string>)[b.role] = b.ck.checkpoint.name;
      (inputs as Record<string, unknown>)[b.role] = b.ck.checkpoint;
    }
  }
  if (def.roles.includes('models')) names.models = models;
  // Mappings set by hand in the alignment report map onto θ_pre's names: they apply where θ_pre is the base.
  const maps = bound[0]?.role === 'pre' ? Object.fromEntries(Object.entries(nameMaps).filter(([r]) => r !== 'pre' && bound.some((b) => b.role === r && b.ck))) : {};
  const withMaps = Object.keys(maps).length ? { nameMaps: maps } : {};
  const { nameMaps: _drop, ...rest } = recipe;
  return { bound, unbound, recipe: { ...rest, roles: names, ...withMaps }, inputs, roleInputs };
}

export type Preview =
  | { kind: 'unbound'; missing: string[] }
  | { kind: 'plan'; plan: PlanDetail }
  | { kind: 'blocked'; message: string; issues: MergePlanError['issues'] }
  | { kind: 'invalid'; message: string };

/** The executor's own plan, computed from headers only (cheap): counts, notes and blocking issues. */
export function previewPlan(b: Binding): Preview {
  if (b.unbound.length) return { kind: 'unbound', missing: b.unbound };
  try {
    return { kind: 'plan', plan: planMerge(b.recipe, b.inputs) };
  } catch (e) {
    if (e instanceof MergePlanError && e.issues.some((i) => i.kind === 'missing' || i.kind === 'shape' || i.kind === 'collision')) {
      return { kind: 'blocked', message: e.message, issues: e.issues };
    }
    return { kind: 'invalid', message: e instanceof Error ? e.message : String(e) };
  }
}
