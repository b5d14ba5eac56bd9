/**
 * PEFT's `adapter_config.json` for LoRA, read with PEFT's semantics (tuners/lora/config.py, layer.py,
 * utils/other.py): a module's rank and alpha come from `rank_pattern` / `alpha_pattern` when one of
 * their keys matches the module's name as a regex suffix (the first key in file order wins, as
 * get_pattern_key's `(.*\.)?(key)$` does), else `r` / `lora_alpha`; the scale is alpha / r, or
 * alpha / √r with `use_rslora`. DoRA and unknown adapter kinds are refused by name.
 */
import { FormatError, ensure } from './errors';

export interface LoraConfig {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  fanInFanOut: boolean;
  /** A list of module names, or one regex (PEFT's `target_modules` as saved). */
  targetModules: string[] | string | null;
  rankPattern: Record<string, number>;
  alphaPattern: Record<string, number>;
  modulesToSave: string[];
  baseModel: string | null;
}

const MAX_CONFIG = 4 * 1024 * 1024;

const numberRecord = (v: unknown, file: string, field: string): Record<string, number> => {
  if (v === undefined || v === null) return {};
  ensure(typeof v === 'object' && !Array.isArray(v), file, `${field} is not an object of module patterns`);
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    ensure(typeof x === 'number' && Number.isFinite(x) && x > 0, file, `${field}['${k}'] is not a positive number`);
    // A key that cannot be compiled would match nothing, and its modules would silently take r / lora_alpha.
    try {
      new RegExp(patternSource(k));
    } catch (e) {
      throw new FormatError(file, `${field} key '${k}' is a regular expression this reader cannot compile (${e instanceof Error ? e.message : String(e)})`);
    }
    out[k] = x;
  }
  return out;
};

/** Parses and checks the config; every fault names the file. */
export function parseLoraConfig(text: string, file: string): LoraConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(file, `adapter_config.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  ensure(json && typeof json === 'object' && !Array.isArray(json), file, 'adapter_config.json is not a JSON object');
  const o = json as Record<string, unknown>;
  const type = o.peft_type;
  ensure(typeof type === 'string', file, 'adapter_config.json has no peft_type (not a PEFT adapter config)');
  ensure(type.toUpperCase() === 'LORA', file, `peft_type '${type}' is not supported (only LoRA adapters are read)`);
  for (const flag of ['use_rslora', 'fan_in_fan_out', 'use_dora']) {
    const v = o[flag];
    ensure(v === undefined || v === null || typeof v === 'boolean', file, `adapter_config.json: ${flag} is not true or false (got ${JSON.stringify(v)})`);
  }
  if (o.use_dora === true) throw new FormatError(file, 'DoRA adapters (use_dora: true) are not supported: their magnitude vectors rescale each column of W + ΔW');
  ensure(typeof o.r === 'number' && Number.isInteger(o.r) && o.r > 0, file, 'adapter_config.json: r is not a positive integer');
  const alpha = o.lora_alpha === undefined ? 8 : o.lora_alpha;
  ensure(typeof alpha === 'number' && Number.isFinite(alpha), file, 'adapter_config.json: lora_alpha is not a number');
  const tm = o.target_modules;
  ensure(tm === undefined || tm === null || typeof tm === 'string' || (Array.isArray(tm) && tm.every((x) => typeof x === 'string')), file,
    'adapter_config.json: target_modules is neither a list of names nor a regex');
  const mts = o.modules_to_save;
  ensure(mts === undefined || mts === null || (Array.isArray(mts) && mts.every((x) => typeof x === 'string')), file,
    'adapter_config.json: modules_to_save is not a list of names');
  return {
    r: o.r,
    loraAlpha: alpha,
    useRslora: o.use_rslora === true,
    fanInFanOut: o.fan_in_fan_out === true,
    targetModules: (tm as string[] | string | undefined) ?? null,
    rankPattern: numberRecord(o.rank_pattern, file, 'rank_pattern'),
    alphaPattern: numberRecord(o.alpha_pattern, file, 'alpha_pattern'),
    modulesToSave: (mts as string[] | undefined) ?? [],
    baseModel: typeof o.base_model_name_or_path === 'string' ? o.base_model_name_or_path : null,
  };
}

export async function readLoraConfig(source: { name: string; size: number; read(o: number, n: number): Promise<Uint8Array> }): Promise<LoraConfig> {
  ensure(source.size <= MAX_CONFIG, source.name, `adapter_config.json of ${source.size} bytes is implausibly large`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await source.read(0, source.size));
  } catch {
    throw new FormatError(source.name, 'adapter_config.json is not UTF-8 text');
  }
  return parseLoraConfig(text, source.name);
}

/** get_pattern_key's `(.*\.)?(key)$`, anchored at the start as re.match is. */
const patternSource = (k: string) => `^(?:.*\\.)?(?:${k})$`;

/** The first pattern key (in file order) matching `module` as PEFT's get_pattern_key does, if any. */
export function patternKey(keys: readonly string[], module: string): string | undefined {
  return keys.find((k) => {
    try {
      return new RegExp(patternSource(k)).test(module);
    } catch {
      return false; // parseLoraConfig refuses such keys; a key given here directly matches nothing
    }
  });
}

/** Rank, alpha and scale of one module (its name without PEFT's `base_model.model.`). */
export function moduleScaling(cfg: LoraConfig, module: string): { r: number; alpha: number; scale: number } {
  const rk = patternKey(Object.keys(cfg.rankPattern), module);
  const ak = patternKey(Object.keys(cfg.alphaPattern), module);
  const r = rk === undefined ? cfg.r : cfg.rankPattern[rk];
  const alpha = ak === undefined ? cfg.loraAlpha : cfg.alphaPattern[ak];
  return { r, alpha, scale: cfg.useRslora ? alpha / Math.sqrt(r) : alpha / r };
}

/** The config as the card shows it (string → string, like every checkpoint's metadata). */
export function loraConfigMetadata(cfg: LoraConfig, modules: number): Record<string, string> {
  const scale = cfg.useRslora ? cfg.loraAlpha / Math.sqrt(cfg.r) : cfg.loraAlpha / cfg.r;
  const md: Record<string, string> = {
    'lora.r': String(cfg.r),
    'lora.alpha': String(cfg.loraAlpha),
    'lora.scale': `${Number(scale.toPrecision(6))}${cfg.useRslora ? ' (rsLoRA: alpha/√r)' : ' (alpha/r)'}`,
    'lora.target_modules': cfg.targetModules === null ? '(none)' : typeof cfg.targetModules === 'string' ? cfg.targetModules : cfg.targetModules.join(', '),
    'lora.modules': String(modules),
    'lora.config': JSON.stringify(cfg),
  };
  if (Object.keys(cfg.rankPattern).length) md['lora.rank_pattern'] = JSON.stringify(cfg.rankPattern);
  if (Object.keys(cfg.alphaPattern).length) md['lora.alpha_pattern'] = JSON.stringify(cfg.alphaPattern);
  if (cfg.fanInFanOut) md['lora.fan_in_fan_out'] = 'true';
  if (cfg.modulesToSave.length) md['lora.modules_to_save'] = cfg.modulesToSave.join(', ');
  if (cfg.baseModel) md['lora.base_model'] = cfg.baseModel;
  return md;
}

/** The config a checkpoint of the LoRA reader carries (undefined for every other checkpoint). */
export function loraConfigOf(ck: { format: string; metadata: Record<string, string> }): LoraConfig | undefined {
  if (ck.format !== 'lora') return undefined;
  return JSON.parse(ck.metadata['lora.config']) as LoraConfig;
}

/** What a card lists for an adapter (label, metadata key, value), or [] for any other checkpoint. */
export function loraCardRows(ck: { format: string; metadata: Record<string, string> }): { label: string; field: string; value: string }[] {
  if (ck.format !== 'lora') return [];
  const rows: [string, string][] = [['Rank r', 'lora.r'], ['Alpha', 'lora.alpha'], ['Scale', 'lora.scale'], ['Target modules', 'lora.target_modules'],
    ['Modules', 'lora.modules'], ['Rank pattern', 'lora.rank_pattern'], ['Alpha pattern', 'lora.alpha_pattern'], ['Modules to save', 'lora.modules_to_save']];
  return rows.filter(([, k]) => ck.metadata[k] !== undefined).map(([label, k]) => ({ label, field: k, value: ck.metadata[k] }));
}
