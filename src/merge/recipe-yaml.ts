/**
 * A recipe as mergekit YAML (to repeat the merge at scale with mergekit) and as JSON. Each method maps
 * itself (its `mergekit` in ./methods/, helpers in ./mergekit.ts); this file adds what every config
 * shares (notes on what mergekit cannot express, dtype, out_dtype) and writes the YAML.
 */
import { isRegexFilter, type Y } from './mergekit';
import { getMethod } from './registry';
import type { Recipe } from './types';

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

const DTYPE_NAMES: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export interface YamlOptions {
  /** The output dtype when the recipe keeps the inputs' dtype (e.g. 'BF16'), for out_dtype. */
  keepDtype?: string;
}

export function recipeToMergekitYaml(r: Recipe, opts: YamlOptions = {}): string {
  const comments: string[] = [`# mergekit config written by the CapVector workbench (method ${r.method})`];
  const regex = (r.exclude ?? []).filter(isRegexFilter);
  if (regex.length) comments.push(`# NOTE: regex excludes ${regex.join(', ')} have no mergekit equivalent: add filter rules by hand`);
  if (r.include?.length) comments.push(`# NOTE: include filters ${r.include.join(', ')} have no mergekit equivalent: tensors outside them should get weight 0`);
  const config = getMethod(r.method).mergekit(r);
  for (const c of config.comments ?? []) comments.push(`# ${c}`);
  // mergekit's key order, whatever order the method wrote them in.
  const doc: Record<string, Y> = { merge_method: config.merge_method };
  if (config.base_model !== undefined) doc.base_model = config.base_model;
  doc.models = config.models;
  if (Object.keys(config.parameters ?? {}).length) doc.parameters = config.parameters!;
  doc.dtype = 'float32';
  const out = r.outDtype === 'keep' ? opts.keepDtype : r.outDtype;
  if (out && DTYPE_NAMES[out]) doc.out_dtype = DTYPE_NAMES[out];
  return [...comments, ...emitMap(doc, 0)].join('\n') + '\n';
}

export function recipeToJson(r: Recipe): string {
  return JSON.stringify(r, null, 2) + '\n';
}
