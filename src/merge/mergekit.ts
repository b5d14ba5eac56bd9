/**
 * What a method's `mergekit` mapping returns, and the pieces it is built from (./recipe-yaml.ts writes
 * it as YAML). Excluded tensors become leading {filter, value: 0} weight rules (a zero weight leaves the
 * base untouched); what mergekit cannot express goes into `comments`.
 */
import { isRuleList } from './params';
import type { ParamRule, ParamValue, RecipeShape } from './recipe-shape';

/** A YAML value. */
export type Y = string | number | boolean | Y[] | { [k: string]: Y };

/** One mergekit config, in mergekit's key order (recipe-yaml adds dtype and out_dtype). */
export interface MergekitConfig {
  merge_method: string;
  base_model?: string;
  models: Y[];
  parameters?: Record<string, Y>;
  /** Written as YAML comments above the config, after the general notes. */
  comments?: string[];
}

/** The recipe's name for a role, or a placeholder (PRE_MODEL, …) where it has none. */
export const modelName = (r: RecipeShape, role: 'pre' | 'aux' | 'sft' | 'vector') => r.roles[role] ?? role.toUpperCase() + '_MODEL';

export const negate = (v: ParamValue): ParamValue => {
  if (typeof v === 'number') return -v;
  if (typeof v === 'boolean') return v;
  if (isRuleList(v)) return v.map((rule) => ({ ...rule, value: negate(rule.value as ParamValue) as ParamRule['value'] }));
  return (v as number[]).map((x) => -x);
};

export function yamlValue(v: ParamValue): Y {
  if (isRuleList(v)) return v.map((rule): Y => (rule.filter === undefined ? { value: yamlValue(rule.value as ParamValue) } : { filter: rule.filter, value: yamlValue(rule.value as ParamValue) }));
  return v as Y;
}

/** Regex excludes (/body/flags) have no mergekit equivalent: only substring excludes become rules. */
export const isRegexFilter = (f: string) => /^\/.+\/[a-z]*$/.test(f);

/** A weight with rules that zero it for the recipe's (substring) excludes, then the value itself. */
export function weightOf(r: RecipeShape, v: ParamValue): Y {
  const excludes = (r.exclude ?? []).filter((f) => !isRegexFilter(f));
  if (!excludes.length) return yamlValue(v);
  const rules: ParamRule[] = excludes.map((f) => ({ filter: f, value: 0 }));
  if (isRuleList(v)) rules.push(...v);
  else rules.push({ value: v as number | number[] });
  return yamlValue(rules);
}

/** Model i's own value of a parameter, else the global one (undefined when neither is set). */
export const modelParam = (r: RecipeShape, i: number, key: string): ParamValue | undefined => r.roles.models?.[i]?.params?.[key] ?? r.params[key];

/**
 * The models list of the multi-model methods: each model with its weight (default 1, excludes zeroed)
 * and whatever else `extra` adds for it (TIES' density, DARE's).
 */
export function weightedModels(r: RecipeShape, extra: (i: number) => Record<string, Y> = () => ({})): Y[] {
  return (r.roles.models ?? []).map((m, i) => ({ model: m.name, parameters: { weight: weightOf(r, modelParam(r, i, 'weight') ?? 1), ...extra(i) } }));
}

/** The recipe's global parameters of these names that are set, in this order. */
export function setParams(r: RecipeShape, names: string[]): Record<string, Y> {
  const out: Record<string, Y> = {};
  for (const n of names) if (r.params[n] !== undefined) out[n] = yamlValue(r.params[n]);
  return out;
}
