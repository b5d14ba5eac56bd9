/**
 * mergekit-style parameter values resolved for one tensor: scalar, per-layer gradient, or
 * [{filter, value}] rules (first substring match wins, a rule without filter is the default).
 * Also the include/exclude name filters (substring, or /regex/flags).
 */
import type { ParamValue, ParamRule } from './recipe-shape';
import { interpolateGradient } from './layer';

export function isRuleList(v: ParamValue): v is ParamRule[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === 'object' && v[0] !== null;
}

/** The value of `v` for the tensor `name` at relative depth `t`; undefined when no rule matches. */
export function resolveParam(v: ParamValue, name: string, t: number): number | boolean | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (isRuleList(v)) {
    let fallback: ParamRule | undefined;
    for (const r of v) {
      if (r.filter === undefined || r.filter === '') {
        fallback ??= r;
        continue;
      }
      if (name.includes(r.filter)) return resolveParam(r.value, name, t);
    }
    return fallback ? resolveParam(fallback.value, name, t) : undefined;
  }
  return interpolateGradient(v as number[], t);
}

/** Checks a parameter's shape; returns a message or null. */
export function checkParamValue(v: unknown, path: string): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path} must be a finite number`;
  if (typeof v === 'boolean') return null;
  if (!Array.isArray(v) || v.length === 0) return `${path} must be a number, a gradient list or a list of {filter, value} rules`;
  if (v.every((x) => typeof x === 'number' && Number.isFinite(x))) return null;
  for (let i = 0; i < v.length; i++) {
    const r = v[i];
    if (typeof r !== 'object' || r === null || Array.isArray(r) || !('value' in r)) return `${path}[${i}] must be {filter, value}`;
    if (r.filter !== undefined && typeof r.filter !== 'string') return `${path}[${i}].filter must be a string`;
    const inner = checkParamValue(r.value, `${path}[${i}].value`);
    if (inner) return inner;
    if (Array.isArray(r.value) && !r.value.every((x: unknown) => typeof x === 'number')) return `${path}[${i}].value: rules do not nest`;
  }
  return null;
}

const regexCache = new Map<string, RegExp | null>();

/** A filter is a substring, or a regular expression written /body/flags. */
export function matchesFilter(pattern: string, name: string): boolean {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    const m = /^\/(.+)\/([a-z]*)$/.exec(pattern);
    re = m ? new RegExp(m[1], m[2]) : null;
    regexCache.set(pattern, re);
  }
  return re ? re.test(name) : name.includes(pattern);
}

export function checkFilter(pattern: string): string | null {
  const m = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (!m) return pattern === '' ? 'an empty filter matches every tensor' : null;
  try {
    new RegExp(m[1], m[2]);
    return null;
  } catch (e) {
    return `bad regular expression ${pattern}: ${(e as Error).message}`;
  }
}

export const matchesAny = (patterns: string[] | undefined, name: string) => !!patterns?.some((p) => matchesFilter(p, name));
