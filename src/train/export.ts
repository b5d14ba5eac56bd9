/**
 * Policy weights ↔ safetensors. Writing reuses the merge writer's header builder, reading reuses
 * the workbench's safetensors reader, so an exported checkpoint is byte-for-byte what the workbench
 * itself would write and opens like any dropped file.
 */
import { bytesSource } from '../formats/byte-source';
import { readTensorF32, type Checkpoint } from '../formats/checkpoint';
import { FormatError } from '../formats/errors';
import { openSafetensors } from '../formats/safetensors';
import { buildHeader } from '../merge/safetensors-writer';
import { architectureFaults, POLICY_SPECS, type ParamSpec, type Weights } from './policy';

/** F32 safetensors bytes of the named tensors, in spec order. */
export function weightsToSafetensors(w: Weights, metadata: Record<string, string>, specs: ParamSpec[] = POLICY_SPECS): Uint8Array {
  const present = specs.filter((s) => w.has(s.name));
  const tensors = present.map((s) => ({ name: s.name, dtype: 'F32' as const, shape: s.shape, byteLength: w.get(s.name)!.length * 4 }));
  const { header, dataBytes } = buildHeader(tensors, { format: 'pt', ...metadata });
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header);
  let off = header.length;
  for (const s of present) {
    const a = w.get(s.name)!;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

/** Reads a checkpoint that has the policy's architecture (any float dtype); throws naming the fault. */
export async function checkpointToWeights(ck: Checkpoint, specs: ParamSpec[] = POLICY_SPECS): Promise<Weights> {
  const faults = architectureFaults(new Map(ck.tensors.map((t) => [t.name, t.shape])), specs);
  if (faults.length) {
    const more = faults.length > 3 ? ` (and ${faults.length - 3} more)` : '';
    throw new FormatError(ck.name, `not the finetune policy's architecture: ${faults.slice(0, 3).join('; ')}${more}`);
  }
  const byName = new Map(ck.tensors.map((t) => [t.name, t]));
  const w: Weights = new Map();
  for (const s of specs) w.set(s.name, await readTensorF32(byName.get(s.name)!));
  return w;
}

export async function safetensorsToWeights(name: string, bytes: Uint8Array, specs: ParamSpec[] = POLICY_SPECS): Promise<Weights> {
  return checkpointToWeights(await openSafetensors(bytesSource(name, bytes)), specs);
}
