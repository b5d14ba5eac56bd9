/**
 * TIES on the CPU engine: the terms' deltas per block, then ties.ref.ts's per-element rule in
 * WebAssembly (src/compute/wasm/ties.wat) or in tiesRef itself — the same values bit for bit.
 */
import type { ChunkInput } from '../common/inputs';
import { perTermBlock } from '../../fused/packed';
import { tiesBlock } from '../../wasm/ties';
import type { TiesSpec } from './ties.ref';

/** The CPU engine's TIES of a checked call of n elements. */
export function tiesCpu(inputs: ChunkInput[], spec: TiesSpec, n: number): Uint8Array {
  return perTermBlock(inputs, spec, n, (x, j, _st, tau) => {
    const t = spec.terms[j];
    const a = x[t.a];
    if (t.b === null) tau.set(a);
    else {
      const b = x[t.b];
      for (let i = 0; i < tau.length; i++) tau[i] = a[i] - b[i];
    }
  }, (x, taus, w, out) => tiesBlock(x[spec.base], taus, w, spec.thresholds, spec.lambda, spec.normalize, out));
}
