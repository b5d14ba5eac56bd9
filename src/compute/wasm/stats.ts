/**
 * Runs stats.wat: kernels/stats/stats.cpu.ts's per-block loops (vector statistics and pair dot products) in
 * WebAssembly, bit for bit the same. fusedStats decodes each input block straight into this module's
 * memory (views from blockViews) and calls vector/pair per block; a block whose sums are not finite is
 * handed back (the caller redoes it with the reference, as the JavaScript loops do). Unavailable
 * (returns null) where WebAssembly is missing or, like the combine kernel, when disabled.
 */
import { WASM_BASE64 } from './stats.wasm';
import { wasmKernel } from './enabled';

export interface StatsKernel {
  /** Views of the block regions for `inputs` decoded inputs and `vectors` vectors of `block` float64 each. */
  layout(inputs: number, vectors: number, block: number): StatsLayout;
  vector(pa: number, pb: number, pv: number, m: number, nz: number, min: number, max: number): number;
  pair(pp: number, pq: number, m: number): number;
  /** m bfloat16 words at ps decoded to float64 at pd. */
  decodeBf16(ps: number, pd: number, m: number): void;
}
export interface StatsLayout {
  x: Float64Array[];
  v: Float64Array[];
  /** Byte offsets of x[k], v[j] and of the all-zero block (a missing second input). */
  xAt: number[];
  vAt: number[];
  zeroAt: number;
  /** A staging block for packed 16-bit words (decodeBf16's source). */
  stage16: Uint16Array;
  stageAt: number;
  /** The kernel's results: vector → sum, sumC, sq, sqC, min, max, near; pair → dot, dotC, both, agree. */
  res: Float64Array;
}

const ZERO_AT = 1024;

/** The kernel, or null where WebAssembly is missing or switched off. */
export const statsKernel = wasmKernel(WASM_BASE64, (inst): StatsKernel => {
  const memory = inst.exports.memory as WebAssembly.Memory;
  return {
    vector: inst.exports.vector as StatsKernel['vector'],
    pair: inst.exports.pair as StatsKernel['pair'],
    decodeBf16: inst.exports.decode_bf16 as StatsKernel['decodeBf16'],
    layout(inputs, vectors, block) {
      const r = block * 8;
      const first = ZERO_AT + r; // the zero block stays zero: nothing is ever written there
      const stageAt = first + (inputs + vectors) * r;
      const need = stageAt + block * 2;
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      const buf = memory.buffer;
      const xAt = Array.from({ length: inputs }, (_, k) => first + k * r);
      const vAt = Array.from({ length: vectors }, (_, j) => first + (inputs + j) * r);
      return {
        x: xAt.map((o) => new Float64Array(buf, o, block)),
        v: vAt.map((o) => new Float64Array(buf, o, block)),
        xAt, vAt, zeroAt: ZERO_AT,
        stage16: new Uint16Array(buf, stageAt, block),
        stageAt,
        res: new Float64Array(buf, 0, 8),
      };
    },
  };
});
