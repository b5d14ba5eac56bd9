/**
 * Pure helpers behind the merge panel: the recipe draft kept in the URL, parameter-value editing,
 * filter counts and the alignment summary. No React, no DOM: unit-tested in tests/unit/merge-ui.
 */
import { METHODS } from '../../merge/registry';
import { defaultRecipe, validateRecipe } from '../../merge/recipe';
import { isRuleList, matchesAny } from '../../merge/params';
import type { MergeMethod, ParamRule, ParamValue, Recipe } from '../../merge/types';
import type { EngineChoice } from '../../workers/merge-protocol';

export type OutputChoice = 'download' | 'disk';

/** What the URL holds: the recipe without bound checkpoints, plus how to run it. */
export interface MergeDraft {
  recipe: Recipe;
  engine: EngineChoice;
  output: OutputChoice;
}

export const METHOD_ORDER: MergeMethod[] = ['capvector', 'extract', 'apply', 'task-arithmetic', 'ties', 'dare', 'linear'];
export const ENGINES: EngineChoice[] = ['auto', 'webgpu', 'cpu'];

export function defaultDraft(method: MergeMethod = 'capvector'): MergeDraft {
  return { recipe: defaultRecipe(method), engine: 'auto', output: 'download' };
}

/** Switches method keeping the output options and filters; parameters restart from the method's defaults. */
export function withMethod(d: MergeDraft, method: MergeMethod): MergeDraft {
  const fresh = defaultRecipe(method);
  return {
    ...d,
    recipe: { ...fresh, include: d.recipe.include, exclude: d.recipe.exclude, outDtype: d.recipe.outDtype, shardSize: d.recipe.shardSize },
  };
}

// ---------- URL: '#merge?recipe=<json>&engine=cpu&output=download' ----------

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
  const base = METHODS[p.method as MergeMethod] ? defaultRecipe(p.method as MergeMethod) : null;
  if (!base) return { draft, errors: [...errors, `unknown method '${String(p.method)}' in the link`] };
  const recipe: Recipe = {
    ...base,
    params: { ...base.params, ...(p.params ?? {}) },
    roles: Array.isArray(p.roles?.models) ? { models: p.roles.models.map((m) => ({ name: '', params: m?.params ?? {} })) } : {},
    include: Array.isArray(p.include) ? p.include : undefined,
    exclude: Array.isArray(p.exclude) ? p.exclude : undefined,
    outDtype: p.outDtype ?? base.outDtype,
    shardSize: p.shardSize ?? base.shardSize,
  };
  const faults = validateRecipe(recipe);
  if (faults.length) return { draft, errors: [...errors, ...faults.map((f) => `recipe in the link: ${f}`)] };
  draft.recipe = recipe;
  return { draft, errors };
}

// ---------- parameter values ----------

export type ParamMode = 'scalar' | 'gradient' | 'rules';

export function paramMode(v: ParamValue | undefined): ParamMode {
  if (v === undefined || typeof v === 'number' || typeof v === 'boolean') return 'scalar';
  return isRuleList(v) ? 'rules' : 'gradient';
}

/** Converts a value to another editing mode, keeping what can be kept (the scalar seeds the others). */
export function convertParam(v: ParamValue | undefined, mode: ParamMode, fallback: number): ParamValue {
  const scalar = typeof v === 'number' ? v : Array.isArray(v) && !isRuleList(v) && v.length ? (v as number[])[0] : fallback;
  if (mode === 'scalar') return scalar;
  if (mode === 'gradient') return Array.isArray(v) && !isRuleList(v) ? v : [scalar, scalar];
  return isRuleList(v ?? 0) ? (v as ParamRule[]) : [{ filter: 'norm', value: 0 }, { value: scalar }];
}

/** "0, 0.5, 1" → [0, 0.5, 1]; returns a message for anything else. */
export function parseGradient(text: string): number[] | string {
  const parts = text.split(/[\s,;]+/).filter((s) => s !== '');
  if (parts.length < 2) return 'a gradient needs at least two values (first layer, …, last layer)';
  const values = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isFinite(values[i]));
  return bad === undefined ? values : `'${bad}' is not a number`;
}

export const formatGradient = (v: number[]) => v.join(', ');

// ---------- filters and counts ----------

/** One filter per line; blank lines dropped. */
export const parseFilterLines = (text: string) => text.split('\n').map((s) => s.trim()).filter((s) => s !== '');

/** A filter matching exactly one tensor name (regex-escaped and anchored, so `a.weight` never matches `xa.weight`). */
export function exactNameFilter(name: string): string {
  return `/^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

export interface FilterCount {
  total: number;
  /** Passing include (all when no include filters) and not excluded. */
  affected: number;
  excluded: number;
  notIncluded: number;
}

/** How many tensors the include/exclude filters leave to the method (the rest are copied from the base). */
export function countAffected(names: readonly string[], include: string[] | undefined, exclude: string[] | undefined): FilterCount {
  let affected = 0;
  let excluded = 0;
  let notIncluded = 0;
  for (const n of names) {
    if (include?.length && !matchesAny(include, n)) notIncluded += 1;
    else if (matchesAny(exclude, n)) excluded += 1;
    else affected += 1;
  }
  return { total: names.length, affected, excluded, notIncluded };
}

/** Recipe roles a method needs bound to checkpoints, in display order. */
export function neededRoles(method: MergeMethod): ('pre' | 'aux' | 'sft' | 'vector' | 'models')[] {
  return METHODS[method].roles;
}
