/**
 * The merge panel's recipe draft: the recipe without bound checkpoints plus how to run it, and its
 * form in a shareable link ('#merge?recipe=<json>&engine=cpu&output=download'). Pure: the store keeps
 * it, tests/unit/merge-ui checks it.
 */
import { defaultRecipe, validateRecipe } from './recipe';
import { isMergeMethod } from './registry';
import type { MergeMethod, Recipe } from './types';

/** Which engine runs the merge: measured at start ('auto') or forced. */
export type EngineChoice = 'auto' | 'webgpu' | 'cpu';

export type OutputChoice = 'download' | 'disk';

/** What the URL holds: the recipe without bound checkpoints, plus how to run it. */
export interface MergeDraft {
  recipe: Recipe;
  engine: EngineChoice;
  output: OutputChoice;
}

export const ENGINES: EngineChoice[] = ['auto', 'webgpu', 'cpu'];

export function defaultDraft(method: MergeMethod = 'capvector'): MergeDraft {
  return { recipe: defaultRecipe(method), engine: 'auto', output: 'download' };
}

/** Switches method keeping the output options and filters; parameters restart from the method's defaults. */
export function withMethod(d: MergeDraft, method: MergeMethod): MergeDraft {
  const fresh = defaultRecipe(method);
  return {
    ...d,
    recipe: { ...fresh, include: d.recipe.include, exclude: d.recipe.exclude, outDtype: d.recipe.outDtype, shardSize: d.recipe.shardSize, ...(d.recipe.includeBuffers ? { includeBuffers: true } : {}) },
  };
}

export function draftToQuery(d: MergeDraft): string {
  const { roles, ...rest } = d.recipe;
  // Checkpoint names are bound at run time; only per-model parameters belong in a shareable link.
  const models = roles.models?.map((m) => ({ name: '', params: m.params }));
  const recipe = models?.length ? { ...rest, roles: { models } } : rest;
  const q = new URLSearchParams();
  q.set('recipe', JSON.stringify(recipe));
  if (d.engine !== 'auto') q.set('engine', d.engine);
  if (d.output !== 'download') q.set('output', d.output);
  return q.toString();
}

/** Reads a draft from the query part of the hash; a broken or hostile link gives the default plus messages. */
export function draftFromQuery(query: string): { draft: MergeDraft; errors: string[] } {
  const q = new URLSearchParams(query);
  const draft = defaultDraft();
  const errors: string[] = [];
  const engine = q.get('engine');
  if (engine && (ENGINES as string[]).includes(engine)) draft.engine = engine as EngineChoice;
  else if (engine) errors.push(`engine '${engine}' is not one of ${ENGINES.join(', ')}`);
  if (q.get('output') === 'disk') draft.output = 'disk';
  const raw = q.get('recipe');
  if (!raw) return { draft, errors };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { draft, errors: [...errors, 'the recipe in the link is not valid JSON'] };
  }
  if (!parsed || typeof parsed !== 'object') return { draft, errors: [...errors, 'the recipe in the link is not an object'] };
  const p = parsed as Partial<Recipe>;
  const base = isMergeMethod(p.method) ? defaultRecipe(p.method) : null;
  if (!base) return { draft, errors: [...errors, `unknown method '${String(p.method)}' in the link`] };
  const recipe: Recipe = {
    ...base,
    params: { ...base.params, ...(p.params ?? {}) },
    roles: Array.isArray(p.roles?.models) ? { models: p.roles.models.map((m) => ({ name: '', params: m?.params ?? {} })) } : {},
    include: Array.isArray(p.include) ? p.include : undefined,
    exclude: Array.isArray(p.exclude) ? p.exclude : undefined,
    outDtype: p.outDtype ?? base.outDtype,
    shardSize: p.shardSize ?? base.shardSize,
    ...(p.includeBuffers === true ? { includeBuffers: true } : {}),
  };
  const faults = validateRecipe(recipe);
  if (faults.length) return { draft, errors: [...errors, ...faults.map((f) => `recipe in the link: ${f}`)] };
  draft.recipe = recipe;
  return { draft, errors };
}
