/**
 * γ and θ_meta through the workbench's own merge kernels: the 'extract' and 'capvector' method
 * definitions give the per-tensor Engine op, and the CPU engine runs it, exactly as a merge of
 * dropped checkpoints would. No separate formula lives here.
 */
import { CpuEngine } from '../compute/cpu-engine';
import type { ChunkInput, Engine } from '../compute/engine';
import { getMethod } from '../merge/registry';
import { POLICY_SPECS, type Weights } from './policy';

const asInput = (a: Float32Array): ChunkInput => ({ bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength), dtype: 'F32' });

async function runMethod(method: 'capvector' | 'extract', byRole: Record<string, Weights>, params: Record<string, number>, engine: Engine): Promise<Weights> {
  const def = getMethod(method);
  const roles = def.inputs({ method, roles: {}, params } as never, 0);
  const out: Weights = new Map();
  for (const s of POLICY_SPECS) {
    const op = def.op({ name: s.name, params, modelCount: 0 });
    if (op.kind !== 'combine') throw new Error(`${method}: expected a combine op for ${s.name}`);
    const inputs = roles.map((r) => {
      const a = byRole[r]?.get(s.name);
      if (!a) throw new Error(`${method}: role ${r} lacks ${s.name}`);
      return asInput(a);
    });
    const bytes = await engine.combine(inputs, { ...op.spec, outDtype: 'F32' });
    out.set(s.name, new Float32Array(bytes.slice().buffer));
  }
  return out;
}

/** γ = θ_aux − θ_sft (the 'extract' method). */
export function capabilityVector(aux: Weights, sft: Weights, engine: Engine = new CpuEngine()): Promise<Weights> {
  return runMethod('extract', { aux, sft }, {}, engine);
}

/** θ_meta = θ_pre + α·(θ_aux − θ_sft) (the 'capvector' method). */
export function metaModel(pre: Weights, aux: Weights, sft: Weights, alpha: number, engine: Engine = new CpuEngine()): Promise<Weights> {
  return runMethod('capvector', { pre, aux, sft }, { alpha }, engine);
}
