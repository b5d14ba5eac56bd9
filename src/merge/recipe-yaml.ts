/**
 * A recipe as mergekit YAML (to repeat the merge at scale with mergekit) and as JSON.
 * capvector = task_arithmetic with base_model θ_pre and models θ_aux (weight α) and θ_sft (weight −α):
 * θ_pre + α(θ_aux − θ_pre) − α(θ_sft − θ_pre) = θ_pre + α(θ_aux − θ_sft). Excluded tensors become
 * leading {filter, value: 0} rules (a zero weight leaves θ_pre untouched). What mergekit cannot
 * express (regex filters, include lists, our DARE mask) is written as a YAML comment.
 */
import { isRuleList } from './params';
import type { ParamRule, ParamValue, Recipe } from './types';

type Y = string | number | boolean | Y[] | { [k: string]: Y };

function scalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  return /^[A-Za-z0-9_./-]+$/.test(v) && !/^(true|false|null|yes|no|~|[-+.\d].*)$/i.test(v) ? v : JSON.stringify(v);
}

function emit(v: Y, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object')) return [`[${v.map((x) => scalar(x as string)).join(', ')}]`];
    const lines: string[] = [];
    for (const item of v) {
      const sub = emitMap(item as Record<string, Y>, indent + 2);
      lines.push(`${pad}- ${sub[0].trimStart()}`, ...sub.slice(1));
    }
    return lines;
  }
  if (typeof v === 'object') return emitMap(v, indent);
  return [scalar(v)];
}

function emitMap(m: Record<string, Y>, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    const inline = typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x !== 'object'));
    if (inline) lines.push(`${pad}${k}: ${emit(v, 0)[0]}`);
    else lines.push(`${pad}${k}:`, ...emit(v, indent + 2));
  }
  return lines;
}

const negate = (v: ParamValue): ParamValue => {
  if (typeof v === 'number') return -v;
  if (typeof v === 'boolean') return v;
  if (isRuleList(v)) return v.map((r) => ({ ...r, value: negate(r.value as ParamValue) as ParamRule['value'] }));
  return (v as number[]).map((x) => -x);
};

/** Rules that zero a weight for excluded tensors (substring filters only), then the value itself. */
function withExcludes(v: ParamValue, excludes: string[]): Y {
  if (!excludes.length) return toY(v);
  const rules: ParamRule[] = excludes.map((f) => ({ filter: f, value: 0 }));
  if (isRuleList(v)) rules.push(...v);
  else rules.push({ value: v as number | number[] });
  return toY(rules);
}

function toY(v: ParamValue): Y {
  if (isRuleList(v)) return v.map((r): Y => (r.filter === undefined ? { value: toY(r.value as ParamValue) } : { filter: r.filter, value: toY(r.value as ParamValue) }));
  return v as Y;
}

const DTYPE_NAMES: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export interface YamlOptions {
  /** The output dtype when the recipe keeps the inputs' dtype (e.g. 'BF16'), for out_dtype. */
  keepDtype?: string;
}

export function recipeToMergekitYaml(r: Recipe, opts: YamlOptions = {}): string {
  const comments: string[] = [`# mergekit config written by the CapVector workbench (method ${r.method})`];
  const substring = (r.exclude ?? []).filter((f) => !/^\/.+\/[a-z]*$/.test(f));
  const regex = (r.exclude ?? []).filter((f) => /^\/.+\/[a-z]*$/.test(f));
  if (regex.length) comments.push(`# NOTE: regex excludes ${regex.join(', ')} have no mergekit equivalent: add filter rules by hand`);
  if (r.include?.length) comments.push(`# NOTE: include filters ${r.include.join(', ')} have no mergekit equivalent: tensors outside them should get weight 0`);
  const p = r.params;
  const name = (s: string | undefined, role: string) => s ?? role.toUpperCase() + '_MODEL';
  const models = r.roles.models ?? [];
  const doc: Record<string, Y> = {};
  const globals: Record<string, Y> = {};
  const modelParam = (i: number, key: string) => models[i]?.params?.[key] ?? p[key];

  switch (r.method) {
    case 'capvector':
    case 'apply': {
      const alpha = p.alpha ?? 1;
      doc.merge_method = r.method === 'capvector' ? 'task_arithmetic' : 'linear';
      if (r.method === 'capvector') {
        doc.base_model = name(r.roles.pre, 'pre');
        doc.models = [
          { model: name(r.roles.aux, 'aux'), parameters: { weight: withExcludes(alpha, substring) } },
          { model: name(r.roles.sft, 'sft'), parameters: { weight: withExcludes(negate(alpha), substring) } },
        ];
      } else {
        comments.push('# apply: θ_pre + α·γ as a linear merge without normalization (the vector is a model folder)');
        doc.models = [
          { model: name(r.roles.pre, 'pre'), parameters: { weight: 1 } },
          { model: name(r.roles.vector, 'vector'), parameters: { weight: withExcludes(alpha, substring) } },
        ];
      }
      globals.normalize = false;
      break;
    }
    case 'extract':
      comments.push('# extract: γ = θ_aux − θ_sft as a linear merge with weights 1 and −1, no normalization');
      doc.merge_method = 'linear';
      doc.models = [
        { model: name(r.roles.aux, 'aux'), parameters: { weight: 1 } },
        { model: name(r.roles.sft, 'sft'), parameters: { weight: -1 } },
      ];
      globals.normalize = false;
      break;
    case 'task-arithmetic':
    case 'ties':
    case 'dare':
    case 'linear': {
      const dare = r.method === 'dare';
      doc.merge_method = dare ? (p.ties ? 'dare_ties' : 'dare_linear') : r.method === 'task-arithmetic' ? 'task_arithmetic' : r.method;
      if (r.method !== 'linear') doc.base_model = name(r.roles.pre, 'pre');
      doc.models = models.map((m, i) => {
        const params: Record<string, Y> = { weight: withExcludes(modelParam(i, 'weight') ?? 1, substring) };
        if (r.method === 'ties') params.density = toY(modelParam(i, 'density') ?? 1);
        if (dare) params.density = toY(1 - Number(modelParam(i, 'p') ?? 0.5));
        return { model: m.name, parameters: params };
      });
      if (dare) comments.push(`# NOTE: mergekit draws its own DARE mask (torch RNG); the workbench's seeded mask (seed ${String(p.seed ?? 0)}) is not reproduced bit for bit`);
      if (p.normalize !== undefined) globals.normalize = p.normalize as Y;
      if (p.lambda !== undefined && r.method !== 'linear') globals.lambda = toY(p.lambda);
      break;
    }
  }
  if (Object.keys(globals).length) doc.parameters = globals;
  doc.dtype = 'float32';
  const out = r.outDtype === 'keep' ? opts.keepDtype : r.outDtype;
  if (out && DTYPE_NAMES[out]) doc.out_dtype = DTYPE_NAMES[out];
  return [...comments, ...emitMap(doc, 0)].join('\n') + '\n';
}

export function recipeToJson(r: Recipe): string {
  return JSON.stringify(r, null, 2) + '\n';
}
