/**
 * Runs lora.wat: the CPU engine's lora op block by block in WebAssembly, the same float64 operations in
 * the same order as the JavaScript loops of kernels/lora/lora.cpu.ts (which stay as the fallback), so the
 * bits are the same. Here: the module's memory layout, the dense inputs' words copied in block by block,
 * the row-segment walk, and writing each block out — the fast-range words (the kernel's bfloat16 words,
 * or writeFastBlock) or, when some value leaves that range, the careful rounding of the block's values.
 */
import type { LoraSpec } from '../kernels/lora/lora.ref';
import { BLOCK, D, S32, outBuffer, roundBlock, roundingOf, writeBlock, writeFastBlock } from '../fused/block';
import type { Packed } from '../fused/packed';
import { WASM_BASE64 } from './lora.wasm';
import { wasmKernel } from './enabled';

interface Kernel {
  memory: WebAssembly.Memory;
  widen: (src: number, kind: number, dst: number, n: number) => void;
  terms: (ptab: number, k: number, pacc: number, m: number) => void;
  product: (pv: number, vs: number, pc: number, cs: number, r: number, pp: number, m: number) => void;
  fold: (pp: number, pacc: number, w: number, first: number, m: number) => void;
  finish: (pbase: number, hasBase: number, pacc: number, sc: number, c: number, pout: number, m: number, bf16: number) => number;
}

/** A factor pair decoded to float64 as lora.cpu.ts holds it: A, and B with a k-row contiguous for the (B·A)ᵀ layout. */
export interface DecodedFactor { A: Float64Array; Bk: Float64Array; r: number; w: number; transpose: boolean }

const load = wasmKernel(WASM_BASE64, (inst): Kernel => {
  const e = inst.exports;
  return {
    memory: e.memory as WebAssembly.Memory, widen: e.lora_widen as Kernel['widen'], terms: e.lora_terms as Kernel['terms'], product: e.lora_product as Kernel['product'],
    fold: e.lora_fold as Kernel['fold'], finish: e.lora_finish as Kernel['finish'],
  };
});

/** Whether the lora kernel can run (WebAssembly SIMD present and switched on). */
export function loraWasmAvailable(): boolean {
  return load() !== null;
}

/** A float64 block region with three elements of padding (the kernel's elementwise exports work in pairs and fours). */
const REGION = (BLOCK + 4) * 8;
const KIND: Record<string, number> = { F32: 0, BF16: 1, F16: 2 };
/** The module's memory is addressed with i32: stay well below 2 GiB, leave bigger factors to JavaScript. */
const MAX_BYTES = 2 ** 30;

/**
 * The lora op on the n elements of `dense` (packed dense inputs) with the decoded `factors`, or null when
 * the kernel cannot run (WebAssembly off or missing, factors too big for its memory or its memory unable to grow).
 */
export function loraWasm(dense: Packed[], factors: DecodedFactor[], spec: LoraSpec, n: number): Uint8Array | null {
  const k = load();
  if (!k) return null;
  // Layout: +0.0 words (a missing b), the words of one dense input's block, the term records, one region
  // per dense input, acc, p, the output words, then every factor's A and Bk (16-byte aligned, with a
  // padding pair after the last).
  const ZERO = 0, STAGE = REGION, TAB = STAGE + REGION, IN = TAB + 16 * spec.terms.length;
  const ACC = IN + dense.length * REGION, P = ACC + REGION, OUT = P + REGION, FAC = OUT + REGION;
  const at: number[] = [];
  let need = FAC;
  for (const f of factors) {
    at.push(need, need + f.A.length * 8);
    need += Math.ceil((f.A.length * 8) / 16) * 16 + Math.ceil((f.Bk.length * 8) / 16) * 16;
  }
  need += 16;
  if (need > MAX_BYTES) return null;
  if (k.memory.buffer.byteLength < need) {
    // Growing to hundreds of MB can fail (RangeError: engine limit, no memory): the loops still can run.
    try {
      k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
    } catch {
      return null;
    }
  }
  const buf = k.memory.buffer;
  const f64 = new Float64Array(buf);
  f64.fill(0, ZERO / 8, ZERO / 8 + BLOCK + 4);
  const tab = new DataView(buf, TAB, 16 * spec.terms.length);
  spec.terms.forEach((t, j) => {
    tab.setInt32(16 * j, IN + t.a * REGION, true);
    tab.setInt32(16 * j + 4, t.b === null ? ZERO : IN + t.b * REGION, true);
    tab.setFloat64(16 * j + 8, t.w, true);
  });
  factors.forEach((f, l) => {
    f64.set(f.A, at[2 * l] / 8);
    f64.set(f.Bk, at[2 * l + 1] / 8);
  });
  const used = [...new Set([...(spec.base === null ? [] : [spec.base]), ...spec.terms.flatMap((t) => (t.b === null ? [t.a] : [t.a, t.b]))])];
  const stage16 = new Uint16Array(buf, STAGE, BLOCK), stage32 = new Int32Array(buf, STAGE, BLOCK);
  const acc = new Float64Array(buf, ACC, BLOCK);
  const words = new Int32Array(buf, OUT, BLOCK), words16 = new Uint16Array(buf, OUT, BLOCK);
  const bf16 = spec.outDtype === 'BF16' ? 1 : 0;
  const out = outBuffer(spec.outDtype, n);
  const { c, lo, hi } = roundingOf(spec.outDtype);
  const { rows, cols, terms } = spec;
  const none = terms.length === 0;
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    for (const i of used) {
      const x = dense[i];
      if (x.dtype === 'F32') stage32.set(x.u32.subarray(st, st + m));
      else stage16.set(x.u16.subarray(st, st + m));
      k.widen(STAGE, KIND[x.dtype], IN + i * REGION, m);
    }
    // Without terms the first factor's fold sets acc (as the loops' acc = w·p), unless there is none.
    if (!none || factors.length === 0) k.terms(TAB, terms.length, ACC, m);
    factors.forEach((f, l) => {
      const [pA, pB] = [at[2 * l], at[2 * l + 1]];
      // Product k at element j of a row segment is coef(k)·V[k·cols + c0 + j], as lora.cpu.ts's rowProducts.
      const pV = f.transpose ? pB : pA;
      for (let i = 0; i < m;) {
        const e = spec.first + st + i;
        const row = Math.floor(e / cols);
        const c0 = e - row * cols;
        const len = Math.min(cols, c0 + (m - i)) - c0;
        if (f.transpose) k.product(pV + c0 * 8, cols * 8, pA + row * 8, rows * 8, f.r, P + i * 8, len);
        else k.product(pV + c0 * 8, cols * 8, pB + row * f.r * 8, 8, f.r, P + i * 8, len);
        i += len;
      }
      k.fold(P, ACC, f.w, none && l === 0 ? 1 : 0, m);
    });
    const fine = k.finish(spec.base === null ? 0 : IN + spec.base * REGION, spec.base === null ? 0 : 1, ACC, spec.scale, c, OUT, m, bf16);
    if (bf16 && fine) {
      out.u16.set(words16.subarray(0, m), st);
      continue;
    }
    if (!bf16) {
      S32.set(words.subarray(0, m));
      if (writeFastBlock(out, st, m)) continue;
    }
    // some value is NaN, ±Inf, subnormal in the output or overflows: round the block's values with the patch list
    D.set(acc.subarray(0, m));
    writeBlock(out, st, m, roundBlock(m, c, lo, hi));
  }
  return out.bytes;
}
