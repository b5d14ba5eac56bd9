/**
 * Runs ties.wat: TIES for a block of float64 values, branch-free in WebAssembly SIMD, bit for bit
 * tiesRef (kernels/ties/ties.ref.ts) — which stays the fallback where WebAssembly is missing or
 * switched off. The CPU engine calls tiesBlock for TIES and DARE-TIES blocks.
 */
import { WASM_BASE64 } from './ties.wasm';
import { wasmKernel } from './enabled';
import { tiesRef } from '../kernels/ties/ties.ref';

const R = 16384; // one 2048-element block of float64
const MAX_BLOCK = R / 8;

interface Kernel {
  memory: WebAssembly.Memory;
  run: (pbase: number, ptau: number, k: number, pw: number, pthr: number, keepAll: number, lambda: number,
    normalize: number, pout: number, m: number, ps: number, pk: number) => void;
}
const load = wasmKernel(WASM_BASE64, (inst): Kernel => ({ memory: inst.exports.memory as WebAssembly.Memory, run: inst.exports.ties as Kernel['run'] }));

/** tiesRef's contract (same arguments, same values written into `out`), in WebAssembly when it can. */
export function tiesBlock(
  base: Float64Array, taus: Float64Array[], weights: number[], thresholds: number[] | null,
  lambda: number, normalize: boolean, out: Float64Array,
): void {
  const m = out.length;
  const k = taus.length;
  const kr = m <= MAX_BLOCK ? load() : null;
  if (!kr) return tiesRef(base, taus, weights, thresholds, lambda, normalize, out);
  // Layout: weights and thresholds, then base, the k taus, the k scaled terms, the k masks, out.
  const pw = 0, pthr = 1024, pbase = 4096;
  const ptau = pbase + R, ps = ptau + k * R, pk = ps + k * R, pout = pk + k * R;
  const need = pout + R;
  if (k > 128) return tiesRef(base, taus, weights, thresholds, lambda, normalize, out);
  if (kr.memory.buffer.byteLength < need) kr.memory.grow(Math.ceil((need - kr.memory.buffer.byteLength) / 65536));
  const buf = kr.memory.buffer;
  new Float64Array(buf, pw, k).set(weights);
  if (thresholds) new Float32Array(buf, pthr, k).set(thresholds);
  new Float64Array(buf, pbase, m).set(base.subarray(0, m));
  for (let j = 0; j < k; j++) new Float64Array(buf, ptau + j * R, m).set(taus[j].subarray(0, m));
  kr.run(pbase, ptau, k, pw, pthr, thresholds ? 0 : 1, lambda, normalize ? 1 : 0, pout, m, ps, pk);
  out.set(new Float64Array(buf, pout, m));
}
