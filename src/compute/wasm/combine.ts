/**
 * Runs combine.wat (WebAssembly SIMD) over a chunk: the CPU engine's fast path for one term
 * (capvector, extract, apply) on bfloat16 inputs into bfloat16, and on float32 into float32. The
 * kernels compute exactly what kernels/combine/combine.cpu.ts's loops compute (same float64 formula, same single
 * rounding); fusedCombine calls them block by block. The bf16 kernel hands back (redo) any block whose
 * values leave the fast range (NaN, ±Inf, subnormal or overflowing results) and the JavaScript loops
 * patch those; the f32 kernel needs no help (the demotion is the rounding, NaN is canonicalised).
 * The chunk's tail (less than a block) is the caller's.
 */
import { WASM_BASE64 } from './combine.wasm';
import { wasmKernel } from './enabled';

/** Elements per kernel call: four regions (base, a, b, out) of 32 KB at most, in L1/L2. */
export const WASM_BLOCK = 8192;
const R = WASM_BLOCK * 4;
// −0.0 words stand for a missing base (−0 + x = x, signed zeros too), +0.0 words for a missing b.
const S_AT = 0, A_AT = R, B_AT = 2 * R, O_AT = 3 * R, NEG0_BF16_AT = 4 * R, NEG0_F32_AT = 5 * R, POS0_AT = 6 * R;

interface Kernel {
  memory: WebAssembly.Memory;
  u16: Uint16Array;
  u32: Uint32Array;
  bf16: (s: number, a: number, b: number, o: number, n: number, w: number, sc: number, c: number) => number;
  f32: (s: number, a: number, b: number, o: number, n: number, w: number, sc: number) => void;
  bf16Terms: (pbase: number, ptab: number, k: number, po: number, n: number, sc: number, c: number) => number;
  f16: Kernel['bf16'];
}

/** Blocks the kernels finished and blocks handed back (tests check the fast path really ran). */
export const wasmCounters = { blocks: 0, fallbacks: 0 };

const load = wasmKernel(WASM_BASE64, (inst): Kernel => {
  const memory = inst.exports.memory as WebAssembly.Memory;
  const buf = memory.buffer;
  const u16 = new Uint16Array(buf), u32 = new Uint32Array(buf);
  u16.fill(0x8000, NEG0_BF16_AT / 2, NEG0_BF16_AT / 2 + WASM_BLOCK);
  u32.fill(0x80000000, NEG0_F32_AT / 4, NEG0_F32_AT / 4 + WASM_BLOCK);
  return {
    memory, u16, u32,
    bf16: inst.exports.combine_bf16 as Kernel['bf16'],
    f32: inst.exports.combine_f32 as Kernel['f32'],
    bf16Terms: inst.exports.combine_bf16_terms as Kernel['bf16Terms'],
    f16: inst.exports.combine_f16 as Kernel['bf16'],
  };
});

/** Whether the kernels can run here (loads them on first call). */
export function wasmAvailable(): boolean {
  return load() !== null;
}

/**
 * base + scale·(w·(a − b)) over whole WASM_BLOCKs of a chunk of n elements of 16-bit words, bf16 or
 * IEEE half (`half`; in and out alike; base and b may be null — −0.0 and +0.0 have the same words in
 * both). Writes finished blocks into out16 and calls redo(from, to) for each block the kernel handed
 * back. Returns the number of leading elements handled (a multiple of WASM_BLOCK); null when the kernel
 * is not available.
 */
export function wasmCombine16(
  half: boolean, base: Uint16Array | null, a: Uint16Array, b: Uint16Array | null, w: number, scale: number, c: number,
  out16: Uint16Array, n: number, redo: (from: number, to: number) => void,
): number | null {
  const k = load();
  if (!k) return null;
  const run = half ? k.f16 : k.bf16;
  const mem = k.u16;
  return blocks16(n, mem, O_AT, out16, redo, (st, e) => {
    if (base) mem.set(base.subarray(st, e), S_AT / 2);
    mem.set(a.subarray(st, e), A_AT / 2);
    if (b) mem.set(b.subarray(st, e), B_AT / 2);
    return run(base ? S_AT : NEG0_BF16_AT, A_AT, b ? B_AT : POS0_AT, O_AT, WASM_BLOCK, w, scale, c) !== 0;
  });
}

/**
 * The block loop of the 16-bit kernels: `block(st, e)` copies a block in and runs the kernel (true when
 * it finished the block); finished blocks are copied from outAt into out16, the others redone.
 */
function blocks16(n: number, mem: Uint16Array, outAt: number, out16: Uint16Array, redo: (from: number, to: number) => void, block: (st: number, e: number) => boolean): number {
  const full = n - (n % WASM_BLOCK);
  for (let st = 0; st < full; st += WASM_BLOCK) {
    const e = st + WASM_BLOCK;
    if (block(st, e)) {
      out16.set(mem.subarray(outAt / 2, outAt / 2 + WASM_BLOCK), st);
      wasmCounters.blocks++;
    } else {
      wasmCounters.fallbacks++;
      redo(st, e);
    }
  }
  return full;
}

/** The same for float32 words in and out (as 32-bit views); every block is finished by the kernel. */
export function wasmCombineF32(
  base: Uint32Array | null, a: Uint32Array, b: Uint32Array | null, w: number, scale: number, out32: Uint32Array, n: number,
): number | null {
  const k = load();
  if (!k) return null;
  const mem = k.u32;
  const full = n - (n % WASM_BLOCK);
  for (let st = 0; st < full; st += WASM_BLOCK) {
    const e = st + WASM_BLOCK;
    if (base) mem.set(base.subarray(st, e), S_AT / 4);
    mem.set(a.subarray(st, e), A_AT / 4);
    if (b) mem.set(b.subarray(st, e), B_AT / 4);
    k.f32(base ? S_AT : NEG0_F32_AT, A_AT, b ? B_AT : POS0_AT, O_AT, WASM_BLOCK, w, scale);
    out32.set(mem.subarray(O_AT / 4, O_AT / 4 + WASM_BLOCK), st);
    wasmCounters.blocks++;
  }
  return full;
}

/** Room for the multi-term kernel's regions after the fixed ones; the views are remade when memory grows. */
function reserve(k: Kernel, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  if (k.u16.buffer !== k.memory.buffer) {
    k.u16 = new Uint16Array(k.memory.buffer);
    k.u32 = new Uint32Array(k.memory.buffer);
  }
}

/**
 * base + scale·Σ_j w_j·(a_j − b_j) on bf16 words into bf16 (task arithmetic, linear: two terms or more),
 * whole WASM_BLOCKs, as wasmCombineBf16: finished blocks into out16, redo(from, to) for blocks handed back.
 */
export function wasmCombineBf16Terms(
  base: Uint16Array | null, terms: { a: Uint16Array; b: Uint16Array | null; w: number }[], scale: number, c: number,
  out16: Uint16Array, n: number, redo: (from: number, to: number) => void,
): number | null {
  const k = load();
  if (!k || terms.length < 1) return null;
  const R16 = WASM_BLOCK * 2;
  const TAB_AT = 7 * R, BASE_AT = TAB_AT + 16 * Math.max(256, terms.length), OUT_AT = BASE_AT + R16, TERMS_AT = OUT_AT + R16;
  reserve(k, TERMS_AT + 2 * terms.length * R16);
  const mem = k.u16;
  const tab = new DataView(k.memory.buffer, TAB_AT, 16 * terms.length);
  terms.forEach((t, j) => {
    tab.setInt32(16 * j, TERMS_AT + 2 * j * R16, true);
    tab.setInt32(16 * j + 4, t.b ? TERMS_AT + (2 * j + 1) * R16 : POS0_AT, true);
    tab.setFloat64(16 * j + 8, t.w, true);
  });
  return blocks16(n, mem, OUT_AT, out16, redo, (st, e) => {
    if (base) mem.set(base.subarray(st, e), BASE_AT / 2);
    terms.forEach((t, j) => {
      mem.set(t.a.subarray(st, e), (TERMS_AT + 2 * j * R16) / 2);
      if (t.b) mem.set(t.b.subarray(st, e), (TERMS_AT + (2 * j + 1) * R16) / 2);
    });
    return k.bf16Terms(base ? BASE_AT : NEG0_BF16_AT, TAB_AT, terms.length, OUT_AT, WASM_BLOCK, scale, c) !== 0;
  });
}
