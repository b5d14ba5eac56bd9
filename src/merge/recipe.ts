/** Recipe defaults and validation (the recipe is user input: every fault gets a clear message). */
import type { MergeMethod, OutDtype, Recipe } from './types';
import { isMergeMethod, METHOD_ORDER, METHODS } from './registry';
import { checkFilter, checkParamValue, isRuleList, resolveParam } from './params';

export const OUT_DTYPES: OutDtype[] = ['keep', 'F32', 'F16', 'BF16'];

export function defaultRecipe(method: MergeMethod): Recipe {
  const def = METHODS[method];
  const params: Recipe['params'] = {};
  for (const p of def.params) if (p.scope === 'global') params[p.name] = p.default;
  return { method, roles: {}, params, outDtype: 'keep', shardSize: 0 };
}

/** Messages for every fault of a recipe (empty when it is valid). */
export function validateRecipe(r: Recipe): string[] {
  const errs: string[] = [];
  if (!isMergeMethod(r?.method)) return [`unknown method '${r?.method}' (known: ${METHOD_ORDER.join(', ')})`];
  const def = METHODS[r.method];
  if (!OUT_DTYPES.includes(r.outDtype)) errs.push(`outDtype must be one of ${OUT_DTYPES.join(', ')} (got ${String(r.outDtype)})`);
  if (!Number.isSafeInteger(r.shardSize) || r.shardSize < 0) errs.push('shardSize must be a whole number of bytes ≥ 0 (0 = single file)');
  if (r.includeBuffers !== undefined && typeof r.includeBuffers !== 'boolean') errs.push(`includeBuffers must be true or false (got ${JSON.stringify(r.includeBuffers)})`);
  for (const [role, m] of Object.entries(r.nameMaps ?? {})) {
    if (!m || typeof m.from !== 'string' || typeof m.to !== 'string') errs.push(`nameMaps.${role} must be {"from": "…", "to": "…"} (strings)`);
  }
  for (const f of [...(r.include ?? []), ...(r.exclude ?? [])]) {
    const m = checkFilter(f);
    if (m) errs.push(m);
  }
  const known = new Map(def.params.map((p) => [p.name, p]));
  const checkOne = (name: string, v: unknown, where: string) => {
    const decl = known.get(name);
    if (!decl) return errs.push(`${where}${name}: not a parameter of ${r.method} (known: ${[...known.keys()].join(', ') || 'none'})`);
    const m = checkParamValue(v, where + name);
    if (m) return errs.push(m);
    // Range checks on every value the parameter can take (scalars, gradient anchors, rule values).
    const values: unknown[] = [];
    const collect = (x: unknown) => {
      if (Array.isArray(x)) {
        if (isRuleList(x as never)) (x as { value: unknown }[]).forEach((rule) => collect(rule.value));
        else x.forEach(collect);
      } else values.push(x);
    };
    collect(v);
    for (const x of values) {
      if (decl.kind === 'boolean' && typeof x !== 'boolean' && x !== 0 && x !== 1) errs.push(`${where}${name} must be true or false`);
      if (decl.kind !== 'boolean' && typeof x !== 'number') errs.push(`${where}${name} must be a number`);
      if (typeof x === 'number') {
        if (decl.min !== undefined && x < decl.min) errs.push(`${where}${name} = ${x} is below ${decl.min}`);
        if (decl.max !== undefined && x > decl.max) errs.push(`${where}${name} = ${x} is above ${decl.max}`);
        if (decl.kind === 'integer' && !Number.isInteger(x)) errs.push(`${where}${name} must be an integer`);
      }
    }
  };
  for (const [k, v] of Object.entries(r.params ?? {})) checkOne(k, v, 'params.');
  (r.roles?.models ?? []).forEach((m, i) => {
    for (const [k, v] of Object.entries(m.params ?? {})) {
      if (known.get(k)?.scope === 'global') errs.push(`models[${i}].params.${k}: ${k} is a global parameter of ${r.method}`);
      else checkOne(k, v, `models[${i}].params.`);
    }
  });
  return errs;
}

/** A parameter's value for one tensor, with the method's default when unset or no rule matches. */
export function paramFor(r: Recipe, name: string, tensor: string, t: number, model?: number): number | boolean {
  const def = METHODS[r.method].params.find((p) => p.name === name);
  const own = model !== undefined ? r.roles.models?.[model]?.params?.[name] : undefined;
  const v = own ?? r.params[name];
  const resolved = v === undefined ? undefined : resolveParam(v, tensor, t);
  return resolved ?? def?.default ?? 0;
}
