/**
 * Runs dare.wat: DARE's drop-and-rescale of one term over a block in WebAssembly SIMD, bit for bit
 * kernels/dare/dare.cpu.ts's dareTermFast (the same hash integers, the same float64 division), which
 * the caller runs instead where this cannot (WebAssembly missing or switched off, a longer block).
 */
import { WASM_BASE64 } from './dare.wasm';
import { wasmKernel } from './enabled';
import { dareDropBelow, dareTermKey, fmix32 } from '../kernels/dare/hash';

const MAX = 2048;
const R = (MAX + 8) * 8; // a block of float64, plus the lanes past an odd end
const A_AT = 0, B_AT = R, OUT_AT = 2 * R;

interface Kernel {
  memory: WebAssembly.Memory;
  run: (pa: number, pb: number, hasB: number, pout: number, m: number, firstLo: number, mixLo: number, mixHi: number, drop: number, density: number) => void;
}
const load = wasmKernel(WASM_BASE64, (inst): Kernel => ({ memory: inst.exports.memory as WebAssembly.Memory, run: inst.exports.dare as Kernel['run'] }));

/** dareTermFast's contract: τ'_j for `out.length` elements starting at tensor element `first`; false when it did not run. */
export function wasmDareTerm(
  xa: Float64Array, xb: Float64Array | null, seed: number, salt: number, p: number, first: number, out: Float64Array,
): boolean {
  const m = out.length;
  const k = m <= MAX ? load() : null;
  if (!k) return false;
  const key = dareTermKey(seed, salt);
  const drop = dareDropBelow(p);
  const firstLo = first >>> 0;
  const firstHi = Math.floor(first / 4294967296);
  const buf = k.memory.buffer;
  new Float64Array(buf, A_AT, m).set(xa.subarray(0, m));
  if (xb) new Float64Array(buf, B_AT, m).set(xb.subarray(0, m));
  k.run(A_AT, B_AT, xb ? 1 : 0, OUT_AT, m, firstLo | 0, fmix32((key ^ firstHi) >>> 0) | 0, fmix32((key ^ (firstHi + 1)) >>> 0) | 0, drop | 0, 1 - p);
  out.set(new Float64Array(buf, OUT_AT, m));
  return true;
}
