/**
 * What a PEFT LoRA adapter (formats/lora.ts) means for a base model, with PEFT's semantics: PEFT's
 * `base_model.model.` is stripped, `<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r]
 * update the base's `<module>.weight` by ΔW = s·B·A ((B·A)ᵀ·s with fan_in_fan_out, whose base weight is
 * [in, out] — as in PEFT, by the module's layout where the weight is not square — and for
 * `lora_embedding_A` [r, vocab] / `lora_embedding_B` [dim, r]), s from the module's
 * rank and alpha (formats/lora-config.ts); any other tensor (modules_to_save, saved under the base's
 * own name or as `…modules_to_save.<adapter>.…`) replaces the base's. Names are lined up with the
 * base's like any role's (DDP's `module.`, a missing `model.`). Every fault names the adapter's file.
 */
import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import { decodeToF32, DTYPE_BITS, dtypeSize, isFloatDType } from '../formats/dtype';
import { FormatError } from '../formats/errors';
import { loraConfigOf, moduleScaling } from '../formats/lora-config';
import { bestPrefixMapping, mapName, type NameMapOverride } from './align';

/** The factors of one base tensor's update. */
export interface LoraUpdate {
  /** The module as the adapter names it (without `base_model.model.`). */
  module: string;
  A: TensorEntry;
  B: TensorEntry;
  rank: number;
  /** PEFT's scaling: alpha / r, or alpha / √r with rsLoRA. */
  scale: number;
  /** ΔW = (B·A)ᵀ·s (fan_in_fan_out, embeddings). */
  transpose: boolean;
}

export interface AdapterOnBase {
  /** Base tensor name → its low-rank update. */
  updates: Map<string, LoraUpdate>;
  /** Base tensor name → the adapter's full tensor that replaces it (modules_to_save). */
  replaced: Map<string, TensorEntry>;
}

const PEFT_PREFIX = 'base_model.model.';
const FACTOR = /^(.*)\.(lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\.([^.]+))?(?:\.weight)?$/;
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * A factor whose reads are checked: one NaN or ∞ in A or B spreads over a whole row and column of ΔW,
 * so it stops the run with the file, the tensor and the element instead of being merged.
 */
function finiteFactor(t: TensorEntry, file: string): TensorEntry {
  // Whole-byte float kinds only (the lora op reads F32/F16/BF16; packed kinds are decoded elsewhere).
  if (!isFloatDType(t.dtype) || DTYPE_BITS[t.dtype] % 8 !== 0) return t;
  const size = dtypeSize(t.dtype);
  return {
    ...t,
    read: async (start = 0, length?: number) => {
      const bytes = await t.read(start, length);
      const x = decodeToF32(t.dtype, bytes);
      for (let i = 0; i < x.length; i++) {
        if (!Number.isFinite(x[i])) throw new FormatError(file, `'${t.name}' holds ${x[i]} (element ${start / size + i})`);
      }
      return bytes;
    },
  };
}

/**
 * The shape of the update a pair of factors makes, or null when they are no LoRA pair: linear A [r, in],
 * B [out, r] → [out, in] ([in, out] transposed); convolution (PEFT's Conv1d/2d/3d LoRA) A [r, in, k…]
 * and B [out, r, 1…] → [out, in, k…], since ΔW[o, i, k…] = Σ_r B[o, r]·A[r, i, k…] is the product of the
 * flattened factors [out, r]·[r, in·k…] read row-major: the lora op forms it as a [out, in·k…] matrix.
 */
function updateShape(A: readonly number[], B: readonly number[], transpose: boolean): number[] | null {
  if (A.length === 2 && B.length === 2) return transpose ? [A[1], B[0]] : [B[0], A[1]];
  if (A.length >= 3 && B.length === A.length && !transpose && B.slice(2).every((d) => d === 1)) return [B[0], ...A.slice(1)];
  return null;
}

export const isLoraAdapter = (ck: Pick<Checkpoint, 'format'>) => ck.format === 'lora';

interface Factors { A?: TensorEntry; B?: TensorEntry; embedding: boolean }

/** The adapter's tensors sorted out: factor pairs by module, full tensors by base name (PEFT's prefixes off). */
function parseAdapter(adapter: Checkpoint) {
  const cfg = loraConfigOf(adapter);
  const file = adapter.files[0] ?? adapter.name;
  if (!cfg) throw new FormatError(file, 'not a LoRA adapter');
  const factors = new Map<string, Factors>();
  const full = new Map<string, TensorEntry>();
  for (const t of adapter.tensors) {
    const name = t.name.startsWith(PEFT_PREFIX) ? t.name.slice(PEFT_PREFIX.length) : t.name;
    const m = FACTOR.exec(name);
    if (m && m[3] === 'bias') throw new FormatError(file, `'${t.name}' is a LoRA bias (lora_bias), which is not supported`);
    if (m) {
      const f = factors.get(m[1]) ?? { embedding: m[2].startsWith('lora_embedding') };
      factors.set(m[1], f);
      if (m[2].endsWith('A')) f.A = t;
      else f.B = t;
      continue;
    }
    if (name.includes('lora_magnitude_vector')) throw new FormatError(file, `DoRA adapters are not supported ('${t.name}')`);
    full.set(name.replace(/\.modules_to_save\.[^.]+\./, '.'), t);
  }
  return { cfg, file, factors, full };
}

/**
 * The base tensors an adapter updates, with the shapes its factors give them (the module's weight:
 * [out, in], or [in, out] with fan_in_fan_out, [vocab, dim] for embeddings), and its full tensors.
 */
export function adapterTargets(adapter: Checkpoint): { file: string; shapes: Map<string, number[]>; full: string[] } {
  const { cfg, file, factors, full } = parseAdapter(adapter);
  const shapes = new Map<string, number[]>();
  for (const [module, f] of factors) {
    // fan_in_fan_out never applies to a convolution (PEFT: Conv1D only), so a conv pair takes B·A under it too.
    const shape = f.A && f.B ? updateShape(f.A.shape, f.B.shape, f.embedding || cfg.fanInFanOut) ?? updateShape(f.A.shape, f.B.shape, false) : null;
    if (shape) shapes.set(`${module}.weight`, shape); // else resolveAdapter names the fault
  }
  return { file, shapes, full: [...full.keys()] };
}

/**
 * Reads the adapter's tensors against `base`; throws one FormatError naming the adapter's weights file.
 * `nameMap`: the user's mapping of the adapter's names (PEFT's prefix off) onto the base's, in place
 * of the automatic one.
 */
export function resolveAdapter(adapter: Checkpoint, base: Checkpoint, baseLabel = 'θ_pre', nameMap?: NameMapOverride): AdapterOnBase {
  const { cfg, file, factors, full } = parseAdapter(adapter);
  const baseNames = new Set(base.tensors.map((t) => t.name));
  const wanted = [...[...factors.keys()].map((m) => `${m}.weight`), ...full.keys()];
  const mapping = nameMap ?? bestPrefixMapping(wanted, baseNames) ?? undefined;
  const byName = new Map(base.tensors.map((t) => [t.name, t] as const));

  const updates = new Map<string, LoraUpdate>();
  for (const [module, f] of factors) {
    if (!f.A || !f.B) throw new FormatError(file, `module '${module}' has ${f.A ? 'lora_A' : 'lora_B'} but no ${f.A ? 'lora_B' : 'lora_A'}`);
    const target = mapName(`${module}.weight`, mapping);
    const w = byName.get(target);
    if (!w) throw new FormatError(file, `module '${module}' updates '${target}', which ${baseLabel} does not have`);
    // PEFT decides fan_in_fan_out by the module (False for nn.Linear, stored [out, in]; True for Conv1D,
    // stored [in, out]) whatever the config says: a non-square weight's layout tells which; a square one follows the config.
    const fits = (t: boolean) => {
      const u = updateShape(f.A!.shape, f.B!.shape, t);
      return !!u && u.length === w.shape.length && u.every((d, i) => d === w.shape[i]);
    };
    const transpose = f.embedding || (fits(cfg.fanInFanOut) ? cfg.fanInFanOut : fits(!cfg.fanInFanOut) ? !cfg.fanInFanOut : cfg.fanInFanOut);
    const shape = updateShape(f.A.shape, f.B.shape, transpose);
    if (!shape) {
      throw new FormatError(file, `module '${module}': factors of shape ${fmt(f.A.shape)} and ${fmt(f.B.shape)} are no LoRA pair (A [r, in] and B [out, r], or a convolution's A [r, in, k…] and B [out, r, 1…])`);
    }
    const r = f.A.shape[0];
    const rB = f.B.shape[1];
    if (r !== rB) throw new FormatError(file, `module '${module}': lora_A ${fmt(f.A.shape)} and lora_B ${fmt(f.B.shape)} disagree on the rank`);
    const { r: rCfg, scale } = moduleScaling(cfg, module);
    if (rCfg !== r) throw new FormatError(file, `module '${module}': its factors have rank ${r} but adapter_config.json gives r = ${rCfg}`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new FormatError(file, `module '${module}': its factors (A ${fmt(f.A.shape)}, B ${fmt(f.B.shape)}) make a ${fmt(shape)} update, but ${baseLabel}'s '${target}' is ${fmt(w.shape)}`);
    }
    updates.set(target, { module, A: finiteFactor(f.A, file), B: finiteFactor(f.B, file), rank: r, scale, transpose });
  }
  const replaced = new Map<string, TensorEntry>();
  for (const [name, t] of full) {
    const target = mapName(name, mapping);
    if (!byName.has(target)) throw new FormatError(file, `'${t.name}' replaces '${target}', which ${baseLabel} does not have`);
    replaced.set(target, t);
  }
  return { updates, replaced };
}
