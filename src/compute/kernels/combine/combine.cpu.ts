/**
 * The fused, dtype-specialised combine the CPU engine runs; kernels/combine/combine.ref.ts is the plain
 * reference it must match bit for bit. bf16 → bf16 (one term or several) and one term on f16 → f16 or
 * f32 → f32 go first to the WebAssembly SIMD kernels of src/compute/wasm/combine.wat (the 16-bit ones
 * hand back blocks they cannot do); every other dtype mix to combine-mixed.wat (mixedBlocks).
 * Otherwise a chunk goes through in blocks of BLOCK elements that stay in L1: one loop reads packed words straight from the inputs (16-bit kinds two per 32-bit word through
 * exact float64 tables, F32 through a Float32Array view), evaluates the reference's float64 formula in
 * the same order, rounds the value to the output's precision (fused/block.ts, fused/numbers.ts) and stores it as
 * float32; a second loop writes the output words. No per-element calls (out-of-range values go to a
 * patch list), no per-element allocation.
 *
 * Paths: one term with 16-bit inputs (capvector, extract, apply: the CLI's hot case), several terms with
 * 16-bit inputs (task arithmetic, linear), one term with F32 inputs and output, and a generic path (any
 * dtype mix, any number of terms) that decodes each input block to float64 first and accumulates term
 * by term — the same operations in the same order everywhere. Blocks whose values leave the fast range
 * (NaN, ±Inf, subnormal or overflowing outputs) are redone by the generic path with a patch list.
 */
import type { ComputeDType } from '../../../formats/dtype';
import type { ChunkInput } from '../common/inputs';
import type { CombineSpec } from './combine.ref';
import { BLOCK, D, S, S32, PATCH_AT, PATCH_V, outBuffer, roundBlock, roundingOf, writeBlock, writeFastBlock, type OutBuffer } from '../../fused/block';
import { EMPTY64, decodeBlock, pack, type Packed } from '../../fused/packed';
import { wasmCombine16, wasmCombineBf16Terms, wasmCombineF32 } from '../../wasm/combine';
import { mixedCombiner } from '../../wasm/combine-mixed';

/*
 * One term, 16-bit inputs: `pairs` word pairs from word w0, rounded to the output's precision (Veltkamp
 * constant c), into S from index 0. One function per shape (base or not, difference or not) keeps every
 * loop free of branches; values outside the fast range are caught afterwards from S's bits
 * (writeFastBlock) and the block is redone through the generic path.
 */
function base16Diff(xs: Int32Array, ts: Float64Array, xa: Int32Array, ta: Float64Array, xb: Int32Array, tb: Float64Array, w: number, s: number, c: number, w0: number, pairs: number): void {
  const f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const p = xs[j], q = xa[j], r = xb[j];
    const v0 = ts[p & 0xffff] + s * (w * (ta[q & 0xffff] - tb[r & 0xffff]));
    const v1 = ts[p >>> 16] + s * (w * (ta[q >>> 16] - tb[r >>> 16]));
    const k0 = v0 * c, k1 = v1 * c;
    f[i] = k0 - (k0 - v0);
    f[i + 1] = k1 - (k1 - v1);
  }
}
function diff16(xa: Int32Array, ta: Float64Array, xb: Int32Array, tb: Float64Array, w: number, s: number, c: number, w0: number, pairs: number): void {
  const f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const q = xa[j], r = xb[j];
    const v0 = s * (w * (ta[q & 0xffff] - tb[r & 0xffff]));
    const v1 = s * (w * (ta[q >>> 16] - tb[r >>> 16]));
    const k0 = v0 * c, k1 = v1 * c;
    f[i] = k0 - (k0 - v0);
    f[i + 1] = k1 - (k1 - v1);
  }
}
function base16One(xs: Int32Array, ts: Float64Array, xa: Int32Array, ta: Float64Array, w: number, s: number, c: number, w0: number, pairs: number): void {
  const f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const p = xs[j], q = xa[j];
    const v0 = ts[p & 0xffff] + s * (w * ta[q & 0xffff]);
    const v1 = ts[p >>> 16] + s * (w * ta[q >>> 16]);
    const k0 = v0 * c, k1 = v1 * c;
    f[i] = k0 - (k0 - v0);
    f[i + 1] = k1 - (k1 - v1);
  }
}
function one16(xa: Int32Array, ta: Float64Array, w: number, s: number, c: number, w0: number, pairs: number): void {
  const f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const q = xa[j];
    const v0 = s * (w * ta[q & 0xffff]);
    const v1 = s * (w * ta[q >>> 16]);
    const k0 = v0 * c, k1 = v1 * c;
    f[i] = k0 - (k0 - v0);
    f[i + 1] = k1 - (k1 - v1);
  }
}

/**
 * One term, F32 inputs and F32 output: the Float32Array store is the one rounding, straight into the
 * output; only NaN needs a patch (to the canonical NaN). Returns the patch count.
 */
function oneTerm32(xs: Float32Array | null, xa: Float32Array, xb: Float32Array | null, w: number, s: number, o: Float32Array, st: number, m: number): number {
  const at = PATCH_AT, pv = PATCH_V;
  let np = 0;
  if (xb !== null && xs !== null) {
    for (let i = 0, k = st; i < m; i++, k++) {
      const v = xs[k] + s * (w * (xa[k] - xb[k]));
      o[k] = v;
      if (v !== v) { at[np] = i; pv[np++] = v; }
    }
  } else if (xb !== null) {
    for (let i = 0, k = st; i < m; i++, k++) {
      const v = s * (w * (xa[k] - xb[k]));
      o[k] = v;
      if (v !== v) { at[np] = i; pv[np++] = v; }
    }
  } else if (xs !== null) {
    for (let i = 0, k = st; i < m; i++, k++) {
      const v = xs[k] + s * (w * xa[k]);
      o[k] = v;
      if (v !== v) { at[np] = i; pv[np++] = v; }
    }
  } else {
    for (let i = 0, k = st; i < m; i++, k++) {
      const v = s * (w * xa[k]);
      o[k] = v;
      if (v !== v) { at[np] = i; pv[np++] = v; }
    }
  }
  return np;
}

const X: Float64Array[] = [];
const ACC = new Float64Array(BLOCK);
function scratch(k: number): Float64Array {
  while (X.length <= k) X.push(new Float64Array(BLOCK));
  return X[k];
}

/*
 * Several terms, 16-bit inputs: term passes over the packed words into ACC (in the reference's order),
 * then base + scale·acc rounded into S — no decode pass per input.
 */
function accDiff16(first: boolean, xa: Int32Array, ta: Float64Array, xb: Int32Array, tb: Float64Array, w: number, w0: number, pairs: number): void {
  const acc = ACC;
  if (first) {
    for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
      const q = xa[j], r = xb[j];
      acc[i] = w * (ta[q & 0xffff] - tb[r & 0xffff]);
      acc[i + 1] = w * (ta[q >>> 16] - tb[r >>> 16]);
    }
  } else {
    for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
      const q = xa[j], r = xb[j];
      acc[i] = acc[i] + w * (ta[q & 0xffff] - tb[r & 0xffff]);
      acc[i + 1] = acc[i + 1] + w * (ta[q >>> 16] - tb[r >>> 16]);
    }
  }
}
function accOne16(first: boolean, xa: Int32Array, ta: Float64Array, w: number, w0: number, pairs: number): void {
  const acc = ACC;
  if (first) {
    for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
      const q = xa[j];
      acc[i] = w * ta[q & 0xffff];
      acc[i + 1] = w * ta[q >>> 16];
    }
  } else {
    for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
      const q = xa[j];
      acc[i] = acc[i] + w * ta[q & 0xffff];
      acc[i + 1] = acc[i + 1] + w * ta[q >>> 16];
    }
  }
}
function finish16(xs: Int32Array | null, ts: Float64Array, s: number, c: number, w0: number, pairs: number): void {
  const acc = ACC, f = S;
  if (xs === null) {
    for (let i = 0, m = pairs * 2; i < m; i++) {
      const v = s * acc[i];
      const k = v * c;
      f[i] = k - (k - v);
    }
    return;
  }
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const p = xs[j];
    const v0 = ts[p & 0xffff] + s * acc[i];
    const v1 = ts[p >>> 16] + s * acc[i + 1];
    const k0 = v0 * c, k1 = v1 * c;
    f[i] = k0 - (k0 - v0);
    f[i + 1] = k1 - (k1 - v1);
  }
}
function terms16(xs: Packed[], spec: CombineSpec, c: number, w0: number, pairs: number): void {
  const terms = spec.terms;
  if (terms.length === 0) ACC.fill(0, 0, pairs * 2);
  for (let j = 0; j < terms.length; j++) {
    const t = terms[j];
    const a = xs[t.a];
    if (t.b === null) accOne16(j === 0, a.u32, a.table, t.w, w0, pairs);
    else accDiff16(j === 0, a.u32, a.table, xs[t.b].u32, xs[t.b].table, t.w, w0, pairs);
  }
  const base = spec.base === null ? null : xs[spec.base];
  finish16(base ? base.u32 : null, base ? base.table : EMPTY64, spec.scale, c, w0, pairs);
}

/** The generic block into D: decodes every input, then the reference's order term by term. */
function genericBlock(xs: Packed[], spec: CombineSpec, st: number, m: number): void {
  const dec = xs.map((x, k) => {
    const o = scratch(k);
    decodeBlock(x, st, m, o);
    return o;
  });
  const acc = ACC;
  const terms = spec.terms;
  if (terms.length === 0) acc.fill(0, 0, m);
  for (let j = 0; j < terms.length; j++) {
    const t = terms[j];
    const w = t.w;
    const a = dec[t.a];
    if (t.b === null) {
      if (j === 0) for (let i = 0; i < m; i++) acc[i] = w * a[i];
      else for (let i = 0; i < m; i++) acc[i] = acc[i] + w * a[i];
    } else {
      const b = dec[t.b];
      if (j === 0) for (let i = 0; i < m; i++) acc[i] = w * (a[i] - b[i]);
      else for (let i = 0; i < m; i++) acc[i] = acc[i] + w * (a[i] - b[i]);
    }
  }
  const s = spec.scale;
  if (spec.base === null) for (let i = 0; i < m; i++) D[i] = s * acc[i];
  else {
    const base = dec[spec.base];
    for (let i = 0; i < m; i++) D[i] = base[i] + s * acc[i];
  }
}

/** combine on packed inputs (checked by the caller): the output bytes, each element rounded once. */
export function fusedCombine(inputs: ChunkInput[], spec: CombineSpec, n: number): Uint8Array {
  const xs = inputs.map((x) => pack(x, n));
  const out = outBuffer(spec.outDtype, n);
  const one = spec.terms.length === 1 ? spec.terms[0] : null;
  let from = 0;
  // The hot cases go to the WebAssembly SIMD kernels block by block (see ../wasm/combine.ts).
  const all = (d: ComputeDType) => spec.outDtype === d && xs.every((x) => x.dtype === d);
  if (one && (all('BF16') || all('F16'))) {
    const { c } = roundingOf(spec.outDtype);
    const done = wasmCombine16(
      spec.outDtype === 'F16', spec.base === null ? null : xs[spec.base].u16, xs[one.a].u16, one.b === null ? null : xs[one.b].u16,
      one.w, spec.scale, c, out.u16, n, (st, e) => combineRange(xs, spec, out, st, e),
    );
    if (done !== null) from = done;
  } else if (spec.terms.length >= 2 && spec.outDtype === 'BF16' && xs.every((x) => x.dtype === 'BF16')) {
    const { c } = roundingOf('BF16');
    const done = wasmCombineBf16Terms(
      spec.base === null ? null : xs[spec.base].u16,
      spec.terms.map((t) => ({ a: xs[t.a].u16, b: t.b === null ? null : xs[t.b].u16, w: t.w })),
      spec.scale, c, out.u16, n, (st, e) => combineRange(xs, spec, out, st, e),
    );
    if (done !== null) from = done;
  } else if (one && spec.outDtype === 'F32' && xs.every((x) => x.dtype === 'F32')) {
    const u32 = (x: Packed) => new Uint32Array(x.u32.buffer, x.u32.byteOffset, n);
    const done = wasmCombineF32(
      spec.base === null ? null : u32(xs[spec.base]), u32(xs[one.a]), one.b === null ? null : u32(xs[one.b]),
      one.w, spec.scale, new Uint32Array(out.u32.buffer, 0, n), n,
    );
    if (done !== null) from = done;
  } else if (spec.terms.length > 0) {
    from = mixedBlocks(xs, spec, out, n);
  }
  combineRange(xs, spec, out, from, n);
  return out.bytes;
}

/**
 * Every other dtype mix (a bf16 θ_pre with f32 finetunes, 16-bit inputs into another output dtype,
 * several terms on f16 or f32) in WebAssembly (../wasm/combine-mixed.ts), whole blocks: the kernel makes
 * the block S that the loops below would, so writing it and redoing out-of-range blocks is theirs.
 * Returns the number of leading elements done (0 where the kernel cannot run).
 */
function mixedBlocks(xs: Packed[], spec: CombineSpec, out: OutBuffer, n: number): number {
  const k = mixedCombiner(xs, spec, roundingOf(spec.outDtype).c, BLOCK);
  if (!k) return 0;
  const full = n - (n % BLOCK);
  const bf16 = spec.outDtype === 'BF16';
  for (let st = 0; st < full; st += BLOCK) {
    const ok = k.run(st, BLOCK);
    if (bf16) {
      // the kernel wrote the words and judged the fast range itself
      if (ok) out.u16.set(k.u16, st);
      else combineRange(xs, spec, out, st, st + BLOCK);
      continue;
    }
    S32.set(k.s32);
    if (!writeFastBlock(out, st, BLOCK)) combineRange(xs, spec, out, st, st + BLOCK);
  }
  return full;
}

/** The JavaScript loops over elements [from, to) (from even), block by block. */
function combineRange(xs: Packed[], spec: CombineSpec, out: OutBuffer, from: number, to: number): void {
  const { c, lo, hi } = roundingOf(spec.outDtype);
  const one = spec.terms.length === 1 ? spec.terms[0] : null;
  const all16 = xs.every((x) => x.dtype !== 'F32');
  const all32 = xs.every((x) => x.dtype === 'F32');
  const out32 = spec.outDtype === 'F32' ? new Float32Array(out.bytes.buffer, 0, to) : null;
  for (let st = from; st < to; st += BLOCK) {
    const m = Math.min(BLOCK, to - st);
    let np: number;
    if (one && all16 && (m & 1) === 0) {
      const a = xs[one.a];
      const w0 = st >>> 1, pairs = m >>> 1;
      if (spec.base === null) {
        if (one.b === null) one16(a.u32, a.table, one.w, spec.scale, c, w0, pairs);
        else diff16(a.u32, a.table, xs[one.b].u32, xs[one.b].table, one.w, spec.scale, c, w0, pairs);
      } else {
        const x = xs[spec.base];
        if (one.b === null) base16One(x.u32, x.table, a.u32, a.table, one.w, spec.scale, c, w0, pairs);
        else base16Diff(x.u32, x.table, a.u32, a.table, xs[one.b].u32, xs[one.b].table, one.w, spec.scale, c, w0, pairs);
      }
      if (writeFastBlock(out, st, m)) continue;
      // some value is NaN, ±Inf, subnormal in the output or overflows: redo this block the careful way
      genericBlock(xs, spec, st, m);
      np = roundBlock(m, c, lo, hi);
    } else if (all16 && (m & 1) === 0) {
      terms16(xs, spec, c, st >>> 1, m >>> 1);
      if (writeFastBlock(out, st, m)) continue;
      genericBlock(xs, spec, st, m);
      np = roundBlock(m, c, lo, hi);
    } else if (one && all32 && out32) {
      np = oneTerm32(spec.base === null ? null : xs[spec.base].f32, xs[one.a].f32, one.b === null ? null : xs[one.b].f32, one.w, spec.scale, out32, st, m);
      for (let k = 0; k < np; k++) out.u32[st + PATCH_AT[k]] = 0x7fc00000;
      continue;
    } else {
      genericBlock(xs, spec, st, m);
      np = roundBlock(m, c, lo, hi);
    }
    writeBlock(out, st, m, np);
  }
}
