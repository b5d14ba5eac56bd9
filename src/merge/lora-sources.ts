/**
 * A LoRA adapter given for a role: that role's model is θ_pre + ΔW (for the `vector` role, which holds
 * a difference, the vector is ΔW). The plan sees such a role as a checkpoint with θ_pre's tensors
 * (adapterRole): tensors the adapter does not touch are θ_pre's own entries, modules_to_save its full
 * tensors, and each updated tensor a LoraSource naming its dense part and its factors. The executor
 * then either folds the factors into the tensor's combine as a `lora` op (lora-op.ts: one rounding,
 * the merge as exact as any other), or, for the ops that need each role's values (TIES, DARE, the
 * statistics), forms the role's values with the lora op into float32 chunks (readInput). ΔW is formed
 * per chunk on the engine, never whole.
 */
import type { ChunkInput, Engine } from '../compute/engine';
import { readChunk } from '../compute/read-chunk';
import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import { FormatError } from '../formats/errors';
import type { NameMapOverride } from '../model/align';
import { adapterTargets, isLoraAdapter, resolveAdapter, type LoraUpdate } from '../model/lora';

/** How an adapter role's tensor is formed: value = dense (− θ_pre when `minus`) + s·ΔW. */
export interface LoraSource extends TensorEntry {
  lora: {
    dense: TensorEntry;
    /** θ_pre's entry, subtracted: the `vector` role's values are differences. */
    minus: TensorEntry | null;
    update: LoraUpdate | null;
  };
}

export const isLoraSource = (e: TensorEntry): e is LoraSource => 'lora' in e;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function loraSource(base: TensorEntry, dense: TensorEntry, minus: TensorEntry | null, update: LoraUpdate | null, file: string): LoraSource {
  return {
    name: base.name,
    dtype: dense.dtype,
    shape: base.shape,
    byteLength: dense.byteLength,
    file,
    read: () => Promise.reject(new Error(`${base.name}: a LoRA role's tensor is formed by the merge's engine, not read`)),
    lora: { dense, minus, update },
  };
}

/**
 * The checkpoint a role given as `adapter` plays against θ_pre `pre`. `difference`: the role holds a
 * difference (the `vector` role): untouched tensors are 0, replaced ones their difference to θ_pre.
 */
export function adapterRole(adapter: Checkpoint, pre: Checkpoint, difference: boolean, preLabel = 'θ_pre', nameMap?: NameMapOverride): Checkpoint {
  const { updates, replaced } = resolveAdapter(adapter, pre, preLabel, nameMap);
  const file = adapter.files[0] ?? adapter.name;
  const tensors = pre.tensors.map((t): TensorEntry => {
    const update = updates.get(t.name) ?? null;
    const full = replaced.get(t.name);
    // A modules_to_save tensor stands under θ_pre's name (its own carries PEFT's prefix).
    const dense: TensorEntry = full ? { name: t.name, dtype: full.dtype, shape: full.shape, byteLength: full.byteLength, file: full.file, read: (s, l) => full.read(s, l) } : t;
    // One of another shape (a resized vocabulary) stands as it is: the alignment reports the mismatch.
    if ((!difference && !update) || (full && !sameShape(full.shape, t.shape))) return dense;
    return loraSource(t, dense, difference ? t : null, update, file);
  });
  return { ...adapter, tensors };
}

/**
 * θ_pre for adapters given without one (`extract` from two adapters, γ = ΔW_a − ΔW_s): a float32 zero
 * for every tensor any of them updates, in the order they name them. Full tensors (modules_to_save)
 * need the real θ_pre.
 */
export function zeroBase(adapters: Checkpoint[]): Checkpoint {
  const tensors = new Map<string, TensorEntry>();
  for (const a of adapters) {
    const { file, shapes, full } = adapterTargets(a);
    if (full.length) throw new FormatError(file, `'${full[0]}' replaces a tensor of θ_pre (modules_to_save), so this adapter needs θ_pre`);
    for (const [name, shape] of shapes) {
      if (tensors.has(name)) continue;
      const byteLength = shape[0] * shape[1] * 4;
      tensors.set(name, { name, dtype: 'F32', shape, byteLength, file: '(zero)', read: (s = 0, l = byteLength - s) => Promise.resolve(new Uint8Array(l)) });
    }
  }
  return { name: 'zero', format: 'zero', files: [], sharded: false, tensors: [...tensors.values()], metadata: {}, fileBytes: 0 };
}

/** What became of a role given as an adapter (for the alignment report): tensors updated, replaced, or why it cannot play. */
export interface AdapterRoleInfo {
  role: string;
  name: string;
  updated: number;
  replaced: number;
  /** False when no θ_pre was given and the adapters are read against each other (ΔW alone). */
  onPre: boolean;
  fault: string | null;
}

/**
 * The roles with every adapter read as θ_pre + ΔW against the `pre` role (the alignment report and the
 * statistics): an adapter that cannot play (θ_pre missing or itself an adapter, factors that do not fit)
 * is left out of `byRole` with its fault. An adapter role's mapping set by hand (`nameMaps`) lines its
 * names up with θ_pre's here; `nameMaps` gives the mappings left for the alignment (the adapter roles'
 * tensors already carry θ_pre's names).
 */
export function adapterRoles(byRole: Record<string, Checkpoint>, nameMaps: Readonly<Record<string, NameMapOverride>> = {}):
  { byRole: Record<string, Checkpoint>; adapters: AdapterRoleInfo[]; nameMaps: Record<string, NameMapOverride> } {
  const out: Record<string, Checkpoint> = {};
  const adapters: AdapterRoleInfo[] = [];
  const given = Object.values(byRole);
  let pre: Checkpoint | undefined = byRole.pre;
  // Only adapters and no θ_pre: their differences are defined (extract), against zeros where they update.
  if (!pre && given.length > 1 && given.every(isLoraAdapter)) {
    try {
      pre = zeroBase(given);
    } catch {
      // a modules_to_save tensor: each adapter reports that it needs θ_pre below
    }
  }
  for (const [role, ck] of Object.entries(byRole)) {
    if (!isLoraAdapter(ck)) {
      out[role] = ck;
      continue;
    }
    const info: AdapterRoleInfo = { role, name: ck.name, updated: 0, replaced: 0, onPre: pre === byRole.pre, fault: null };
    adapters.push(info);
    if (role === 'pre') info.fault = `${ck.name} is a LoRA adapter: θ_pre must be a full checkpoint`;
    else if (!pre || isLoraAdapter(pre)) info.fault = `${ck.name} is a LoRA adapter: it needs a full θ_pre`;
    else {
      try {
        const label = pre === byRole.pre ? `θ_pre (${pre.name})` : 'the other adapter';
        const on = resolveAdapter(ck, pre, label, nameMaps[role]);
        info.updated = on.updates.size;
        info.replaced = on.replaced.size;
        out[role] = adapterRole(ck, pre, false, label, nameMaps[role]);
      } catch (e) {
        info.fault = e instanceof Error ? e.message : String(e);
      }
    }
  }
  return { byRole: out, adapters, nameMaps: withoutAdapters(nameMaps, byRole) };
}

/** The mappings of the roles that are not LoRA adapters (an adapter role's is applied when it is read against θ_pre). */
export function withoutAdapters(nameMaps: Readonly<Record<string, NameMapOverride>>, byRole: Readonly<Record<string, Checkpoint>>): Record<string, NameMapOverride> {
  return Object.fromEntries(Object.entries(nameMaps).filter(([r]) => !(byRole[r] && isLoraAdapter(byRole[r]))));
}

/** The factor reads of a source (A then B), empty when it has none. */
export function factorEntries(e: TensorEntry): TensorEntry[] {
  return isLoraSource(e) && e.lora.update ? [e.lora.update.A, e.lora.update.B] : [];
}

const whole = (e: TensorEntry) => readChunk(e, 0, e.shape.reduce((a, b) => a * b, 1));

/**
 * [rows, cols] of a tensor as the lora op sees it: [out, in·k…] (a convolution's update is the product of
 * its flattened factors, src/model/lora.ts), a vector as one row.
 */
export function matrixOf(shape: number[]): { rows: number; cols: number } {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.length < 2) return { rows: n ? 1 : 0, cols: n };
  return { rows: shape[0], cols: shape[0] ? n / shape[0] : 0 };
}

/**
 * Elements [first, first + count) of an input: read as stored, or, for a LoRA role's tensor, its
 * values formed by the engine's lora op and rounded once to float32.
 */
export async function readInput(engine: Engine, e: TensorEntry, first: number, count: number, onRead?: (bytes: number) => void): Promise<ChunkInput> {
  if (!isLoraSource(e)) {
    const c = await readChunk(e, first, count);
    onRead?.(c.bytes.length);
    return c;
  }
  const { dense, minus, update } = e.lora;
  const reads = [dense, ...(minus ? [minus] : [])].map((d) => readChunk(d, first, count));
  const factors = update ? [whole(update.A), whole(update.B)] : [];
  const chunks = await Promise.all([...reads, ...factors]);
  for (const c of chunks) onRead?.(c.bytes.length);
  const nDense = reads.length;
  return {
    dtype: 'F32',
    bytes: await engine.lora(chunks, {
      base: 0,
      terms: minus ? [{ a: 1, b: null, w: -1 }] : [],
      scale: 1,
      dense: nDense,
      factors: update ? [{ a: nDense, b: nDense + 1, rank: update.rank, w: update.scale, transpose: update.transpose }] : [],
      ...matrixOf(e.shape),
      first,
      outDtype: 'F32',
    }),
  };
}
