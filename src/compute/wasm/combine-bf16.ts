/**
 * Runs combine-bf16.wat (WebAssembly SIMD) over a chunk: the CPU engine's fast path for the CLI's hot
 * case, one term on bfloat16 inputs into a bfloat16 output (capvector, extract, apply). The kernel
 * computes exactly what fused/combine.ts's loops compute (same float64 formula, same rounding), about
 * four times faster; fusedCombine calls it block by block and redoes in JavaScript any block the kernel
 * reports out of the fast range (NaN, ±Inf, subnormal or overflowing results) and the chunk's tail.
 *
 * The module is instantiated synchronously (it is a few KB) on first use; where WebAssembly SIMD is
 * missing, or CAPVECTOR_NO_WASM is set (Node) or setWasmEnabled(false) was called (tests, benches),
 * wasmCombineBf16 returns null and the JavaScript loops do everything.
 */
import { WASM_BASE64 } from './combine-bf16.wasm';

/** Elements per kernel call: four 16 KB regions (base, a, b, out) that stay in L1/L2. */
export const WASM_BLOCK = 8192;
const R = WASM_BLOCK * 2;
const S_AT = 0, A_AT = R, B_AT = 2 * R, O_AT = 3 * R, NEG0_AT = 4 * R, POS0_AT = 5 * R;

interface Kernel {
  mem16: Uint16Array;
  run: (s: number, a: number, b: number, o: number, n: number, w: number, sc: number, c: number) => number;
}

let kernel: Kernel | null | undefined;
let enabled = !(typeof process !== 'undefined' && process.env?.CAPVECTOR_NO_WASM);
/** Blocks the kernel finished and blocks it handed back (tests check the fast path really ran). */
export const wasmCounters = { blocks: 0, fallbacks: 0 };

/** Switches every WebAssembly kernel (combine, statistics) on or off: tests compare both paths. */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}
export function wasmEnabled(): boolean {
  return enabled;
}

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(WASM_BASE64), (ch) => ch.charCodeAt(0));
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const memory = inst.exports.memory as WebAssembly.Memory;
    const mem16 = new Uint16Array(memory.buffer);
    mem16.fill(0x8000, NEG0_AT / 2, (NEG0_AT + R) / 2); // -0.0: the missing base
    kernel = { mem16, run: inst.exports.combine_bf16 as Kernel['run'] };
  } catch {
    kernel = null; // no WebAssembly SIMD here
  }
  return kernel;
}

/** Whether the kernel can run here (loads it on first call). */
export function wasmAvailable(): boolean {
  return enabled && load() !== null;
}

/**
 * base + scale·(w·(a − b)) over whole WASM_BLOCKs of a chunk of n elements (16-bit words; base and b
 * may be null). Writes finished blocks into out16 and calls redo(from, to) for each block the kernel
 * handed back. Returns the number of leading elements handled (a multiple of WASM_BLOCK); null when
 * the kernel is not available.
 */
export function wasmCombineBf16(
  base: Uint16Array | null, a: Uint16Array, b: Uint16Array | null, w: number, scale: number, c: number,
  out16: Uint16Array, n: number, redo: (from: number, to: number) => void,
): number | null {
  if (!enabled) return null;
  const k = load();
  if (!k) return null;
  const mem = k.mem16;
  const full = n - (n % WASM_BLOCK);
  for (let st = 0; st < full; st += WASM_BLOCK) {
    const e = st + WASM_BLOCK;
    if (base) mem.set(base.subarray(st, e), S_AT / 2);
    mem.set(a.subarray(st, e), A_AT / 2);
    if (b) mem.set(b.subarray(st, e), B_AT / 2);
    if (k.run(base ? S_AT : NEG0_AT, A_AT, b ? B_AT : POS0_AT, O_AT, WASM_BLOCK, w, scale, c)) {
      out16.set(mem.subarray(O_AT / 2, O_AT / 2 + WASM_BLOCK), st);
      wasmCounters.blocks++;
    } else {
      wasmCounters.fallbacks++;
      redo(st, e);
    }
  }
  return full;
}
