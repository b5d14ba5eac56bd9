/**
 * Runs combine-mixed.wat: the CPU engine's combine for the input-dtype mixes and shapes the specialised
 * kernels of combine.wat do not take (inputs of different dtypes, 16-bit inputs into another output
 * dtype, several terms on f16 or f32). Each call fills one block of the values combine.cpu.ts's loops
 * put in S (the float64 formula rounded once to the output's precision, as float32 bits) — or, for
 * bfloat16 output, their bfloat16 words with the fast-range verdict; the caller writes them out and redoes
 * any block whose values leave the fast range, as it does for its own loops.
 */
import type { ComputeDType } from '../../formats/dtype';
import type { CombineSpec } from '../kernels/combine/combine.ref';
import { WASM_BASE64 } from './combine-mixed.wasm';
import { wasmKernel } from './enabled';

interface Kernel {
  memory: WebAssembly.Memory;
  run: (pbase: number, ptab: number, k: number, po: number, n: number, sc: number, c: number, bf16: number) => number;
  widen: (src: number, kind: number, dst: number, n: number) => void;
}

/** The words of one input as the caller holds them (one of the two views, by dtype). */
export interface MixedInput {
  dtype: ComputeDType;
  u16: Uint16Array;
  u32: Int32Array;
}

/** Blocks the kernel computed (tests and benches check it ran). */
export const mixedCounters = { blocks: 0 };

const load = wasmKernel(WASM_BASE64, (inst): Kernel => ({
  memory: inst.exports.memory as WebAssembly.Memory, run: inst.exports.combine_mixed as Kernel['run'], widen: inst.exports.widen as Kernel['widen'],
}));
const KIND: Record<string, number> = { F32: 0, BF16: 1, F16: 2 };

/** A block runner: `run(st, m)` fills `s32` (float32 words) or, for bfloat16 output, `u16` (the words). */
export interface MixedRunner {
  /**
   * Elements [st, st + m) (m ≤ the block, a multiple of 4). For bfloat16 output: false when some value left
   * the fast range (the block's words are then unspecified: redo it); otherwise always true.
   */
  run(st: number, m: number): boolean;
  /** The rounded values as float32 bits (views into the module's memory, valid until the next run). */
  s32: Int32Array;
  /** The bfloat16 words, for bfloat16 output. */
  u16: Uint16Array;
}

/**
 * A block runner for `xs` under `spec` (blocks of at most `block` elements, a multiple of 4; `c` the
 * output's Veltkamp constant). Null where WebAssembly is off or missing, for an input dtype it does not
 * read, or without terms.
 */
export function mixedCombiner(xs: MixedInput[], spec: CombineSpec, c: number, block: number): MixedRunner | null {
  if (spec.terms.length === 0 || xs.some((x) => !(x.dtype in KIND))) return null;
  const k = load();
  if (!k) return null;
  const R = block * 4;
  // Layout: −0.0 words (no base), +0.0 words (no b), a staging block for 16-bit words, the term records,
  // one float32 region per input, the output.
  const NEG0 = 0, POS0 = R, STAGE = 2 * R, TAB = 3 * R, IN = TAB + 16 * spec.terms.length;
  const OUT = IN + xs.length * R;
  const need = OUT + R;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const buf = k.memory.buffer;
  const u16 = new Uint16Array(buf), u32 = new Int32Array(buf);
  u32.fill(0x80000000 | 0, NEG0 / 4, NEG0 / 4 + block);
  u32.fill(0, POS0 / 4, POS0 / 4 + block);
  const at = (i: number) => IN + i * R;
  const tab = new DataView(buf, TAB, 16 * spec.terms.length);
  spec.terms.forEach((t, j) => {
    tab.setInt32(16 * j, at(t.a), true);
    tab.setInt32(16 * j + 4, t.b === null ? POS0 : at(t.b), true);
    tab.setFloat64(16 * j + 8, t.w, true);
  });
  const used = [...new Set([...(spec.base === null ? [] : [spec.base]), ...spec.terms.flatMap((t) => (t.b === null ? [t.a] : [t.a, t.b]))])];
  const pbase = spec.base === null ? NEG0 : at(spec.base);
  const bf16 = spec.outDtype === 'BF16' ? 1 : 0;
  const run = (st: number, m: number) => {
    for (const i of used) {
      const x = xs[i];
      if (x.dtype === 'F32') u32.set(x.u32.subarray(st, st + m), at(i) / 4);
      else {
        u16.set(x.u16.subarray(st, st + m), STAGE / 2);
        k.widen(STAGE, KIND[x.dtype], at(i), m);
      }
    }
    mixedCounters.blocks++;
    return k.run(pbase, TAB, spec.terms.length, OUT, m, spec.scale, c, bf16) !== 0;
  };
  return { run, s32: u32.subarray(OUT / 4, OUT / 4 + block), u16: u16.subarray(OUT / 2, OUT / 2 + block) };
}
