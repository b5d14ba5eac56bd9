/** From parsed options to a Recipe: parameter values, sizes, dtypes, filters and per-model values. */
import { defaultRecipe, OUT_DTYPES } from '../merge/recipe';
import type { MergeMethod, OutDtype, ParamValue, Recipe } from '../merge/types';
import { many, nameMaps, one, type Args } from './args';
import { UsageError } from './io';
import type { ParamFlag } from './method-flags';

/** A parameter value: 0.8 · 0.2,0.5,0.8 (gradient) · JSON ([{"filter":"mlp","value":0.5},{"value":1}]). */
export function parseParamValue(s: string, what: string): ParamValue {
  const t = s.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t) as ParamValue;
    } catch {
      throw new UsageError(`${what}: '${s}' is not valid JSON`);
    }
  }
  if (t === 'true' || t === 'false') return t === 'true';
  const parts = t.split(',').map((x) => Number(x.trim()));
  if (parts.some((x) => !Number.isFinite(x)) || parts.length === 0) throw new UsageError(`${what}: '${s}' is not a number, a comma gradient or JSON rules`);
  return parts.length === 1 ? parts[0] : parts;
}

/** 2GB, 500MB, 1.5GiB, 1000000 → bytes (decimal units as mergekit/HF: 1GB = 1e9). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?$/i.exec(s.trim());
  if (!m) throw new UsageError(`--shard-size: '${s}' is not a size like 2GB, 500MB or a byte count`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * units[(m[2] ?? 'b').toLowerCase()]);
}

export function parseDtype(s: string | undefined): OutDtype {
  if (!s) return 'keep';
  const d = s.toLowerCase() === 'keep' ? 'keep' : s.toUpperCase();
  if (!(OUT_DTYPES as string[]).includes(d)) throw new UsageError(`--dtype must be keep, f32, f16 or bf16 (got '${s}')`);
  return d as OutDtype;
}

/** One value for all models or one per model, as numbers. */
function perModelValues(p: Args, flag: string, models: number): ((i: number) => number) | null {
  const vals = many(p, flag).map(Number);
  if (!vals.length) return null;
  if (vals.some((x) => !Number.isFinite(x))) throw new UsageError(`--${flag} must be numbers`);
  if (vals.length !== 1 && vals.length !== models) throw new UsageError(`--${flag} needs one value or one per model (${models})`);
  return (i) => (vals.length === 1 ? vals[0] : vals[i]);
}

/**
 * Builds the recipe: the method's defaults, then the parameter options (a parameter another method
 * declares is kept, and validation names it), --param name=value, the models with their per-model
 * values, filters, dtype and shard size.
 */
export function recipeFrom(method: MergeMethod, p: Args, flags: readonly ParamFlag[], paths: Record<string, string | undefined>, modelPaths: string[]): Recipe {
  const r = defaultRecipe(method);
  r.roles = {};
  for (const [k, v] of Object.entries(paths)) if (v) (r.roles as Record<string, string>)[k] = v;
  for (const f of flags) {
    const v = one(p, f.name);
    if (f.kind === 'value' && v !== undefined) r.params[f.name] = parseParamValue(v, `--${f.name}`);
    if (f.kind === 'switch' && p.switches.has(f.name)) r.params[f.name] = true;
    if (f.kind === 'switch' && p.switches.has(`no-${f.name}`)) r.params[f.name] = false;
  }
  for (const kv of p.values.get('param') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects name=value (got '${kv}')`);
    r.params[kv.slice(0, eq)] = parseParamValue(kv.slice(eq + 1), `--param ${kv.slice(0, eq)}`);
  }
  if (modelPaths.length) {
    const perModel = flags.filter((f) => f.kind === 'per-model').map((f) => [f.name, perModelValues(p, f.name, modelPaths.length)] as const);
    r.roles.models = modelPaths.map((name, i) => {
      const params: Record<string, ParamValue> = {};
      for (const [flag, valueOf] of perModel) if (valueOf) params[flag] = valueOf(i);
      return { name, params };
    });
  }
  const inc = p.values.get('include') ?? [];
  const exc = p.values.get('exclude') ?? [];
  if (inc.length) r.include = inc;
  if (exc.length) r.exclude = exc;
  if (p.switches.has('include-buffers')) r.includeBuffers = true;
  const maps = nameMaps(p);
  if (Object.keys(maps).length) r.nameMaps = maps;
  r.outDtype = parseDtype(one(p, 'dtype'));
  const shard = one(p, 'shard-size');
  r.shardSize = shard ? parseSize(shard) : 0;
  return r;
}
