/**
 * The fused, dtype-specialised combine the CPU engine runs (kernels/combine/combine.ref.ts is the plain
 * reference it must match bit for bit). A chunk is processed in blocks of BLOCK elements that stay in
 * L1: a compute loop reads packed words straight from the inputs (16-bit kinds two per u32 word through
 * exact float64 tables, F32 through a Float32Array view), evaluates the reference's float64 formula in
 * the same order, and stores each value twice (float64 D for ties and specials, float32 S whose store
 * rounds); then one encode loop writes the output words (numbers.ts). No per-element calls except on
 * rare specials, no per-element allocation.
 *
 * Paths: one term with 16-bit inputs (capvector, extract, apply: the CLI's hot case), one term with F32
 * inputs, and a generic path (any dtype mix, any number of terms) that decodes each input block to
 * float64 first and accumulates term by term — the same operations in the same order.
 */
import type { ChunkInput, CombineSpec } from '../engine';
import type { ComputeDType } from '../../formats/dtype';
import { bf16Values, encodeBlockBF16, encodeBlockF16, f16Values } from './numbers';

export const BLOCK = 2048;

const D = new Float64Array(BLOCK);
const S = new Float32Array(BLOCK);
const S32 = new Uint32Array(S.buffer);
const ACC = new Float64Array(BLOCK);
const X: Float64Array[] = [];

/** An input as the loops read it: word views over 4-byte-aligned bytes (copied only when misaligned). */
export interface Packed {
  dtype: ComputeDType;
  u16: Uint16Array;
  u32: Uint32Array;
  f32: Float32Array;
  /** Exact value of each 16-bit pattern (empty for F32). */
  table: Float64Array;
}

const EMPTY64 = new Float64Array(0);

export function pack(inp: ChunkInput, n: number): Packed {
  let b = inp.bytes;
  if (b.byteOffset % 4 !== 0) b = b.slice();
  const words = inp.dtype === 'F32' ? n : n >>> 1;
  return {
    dtype: inp.dtype,
    u16: inp.dtype === 'F32' ? new Uint16Array(0) : new Uint16Array(b.buffer, b.byteOffset, n),
    u32: new Uint32Array(b.buffer, b.byteOffset, words),
    f32: inp.dtype === 'F32' ? new Float32Array(b.buffer, b.byteOffset, n) : new Float32Array(0),
    table: inp.dtype === 'BF16' ? bf16Values() : inp.dtype === 'F16' ? f16Values() : EMPTY64,
  };
}

/** Output bytes for n elements of `dtype`, on a word-aligned buffer, with the views the encoders use. */
export interface OutBuffer {
  bytes: Uint8Array;
  u32: Uint32Array;
  u16: Uint16Array;
}
export function outBuffer(dtype: ComputeDType, n: number): OutBuffer {
  const size = dtype === 'F32' ? 4 : 2;
  const buf = new ArrayBuffer(Math.ceil((n * size) / 4) * 4);
  return { bytes: new Uint8Array(buf, 0, n * size), u32: new Uint32Array(buf), u16: new Uint16Array(buf) };
}

/** Writes block values D/S (m of them, starting at element st) into the output. */
export function encodeBlock(dtype: ComputeDType, m: number, st: number, out: OutBuffer): void {
  if (dtype === 'BF16') encodeBlockBF16(D, S32, m, out.u32, out.u16, st >>> 1);
  else if (dtype === 'F16') encodeBlockF16(D, S32, m, out.u32, out.u16, st >>> 1);
  else {
    const o = out.u32;
    for (let i = 0; i < m; i++) {
      const b = S32[i];
      o[st + i] = (b & 0x7fffffff) > 0x7f800000 ? 0x7fc00000 : b; // NaN → canonical
    }
  }
}

/** The block buffers, for the other fused users (engine ops that fill D themselves). */
export function blockBuffers(): { D: Float64Array; S: Float32Array } {
  return { D, S };
}

/*
 * One term, 16-bit inputs: `pairs` word pairs from word w0 into D/S from index 0. One function per
 * shape (base or not, difference or not) keeps each loop free of per-element branches.
 */
function base16Diff(xs: Uint32Array, ts: Float64Array, xa: Uint32Array, ta: Float64Array, xb: Uint32Array, tb: Float64Array, w: number, s: number, w0: number, pairs: number): void {
  const d = D, f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const p = xs[j], q = xa[j], r = xb[j];
    const v0 = ts[p & 0xffff] + s * (w * (ta[q & 0xffff] - tb[r & 0xffff]));
    const v1 = ts[p >>> 16] + s * (w * (ta[q >>> 16] - tb[r >>> 16]));
    d[i] = v0; f[i] = v0; d[i + 1] = v1; f[i + 1] = v1;
  }
}
function diff16(xa: Uint32Array, ta: Float64Array, xb: Uint32Array, tb: Float64Array, w: number, s: number, w0: number, pairs: number): void {
  const d = D, f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const q = xa[j], r = xb[j];
    const v0 = s * (w * (ta[q & 0xffff] - tb[r & 0xffff]));
    const v1 = s * (w * (ta[q >>> 16] - tb[r >>> 16]));
    d[i] = v0; f[i] = v0; d[i + 1] = v1; f[i + 1] = v1;
  }
}
function base16One(xs: Uint32Array, ts: Float64Array, xa: Uint32Array, ta: Float64Array, w: number, s: number, w0: number, pairs: number): void {
  const d = D, f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const p = xs[j], q = xa[j];
    const v0 = ts[p & 0xffff] + s * (w * ta[q & 0xffff]);
    const v1 = ts[p >>> 16] + s * (w * ta[q >>> 16]);
    d[i] = v0; f[i] = v0; d[i + 1] = v1; f[i + 1] = v1;
  }
}
function one16(xa: Uint32Array, ta: Float64Array, w: number, s: number, w0: number, pairs: number): void {
  const d = D, f = S;
  for (let j = w0, i = 0, e = w0 + pairs; j < e; j++, i += 2) {
    const q = xa[j];
    const v0 = s * (w * ta[q & 0xffff]);
    const v1 = s * (w * ta[q >>> 16]);
    d[i] = v0; f[i] = v0; d[i + 1] = v1; f[i + 1] = v1;
  }
}

/** One term, F32 inputs, m elements from element st. */
function oneTerm32(
  xs: Float32Array | null, xa: Float32Array, xb: Float32Array | null, w: number, s: number, st: number, m: number,
): void {
  const d = D, f = S;
  if (xb !== null && xs !== null) {
    for (let i = 0; i < m; i++) { const v = xs[st + i] + s * (w * (xa[st + i] - xb[st + i])); d[i] = v; f[i] = v; }
  } else if (xb !== null) {
    for (let i = 0; i < m; i++) { const v = s * (w * (xa[st + i] - xb[st + i])); d[i] = v; f[i] = v; }
  } else if (xs !== null) {
    for (let i = 0; i < m; i++) { const v = xs[st + i] + s * (w * xa[st + i]); d[i] = v; f[i] = v; }
  } else {
    for (let i = 0; i < m; i++) { const v = s * (w * xa[st + i]); d[i] = v; f[i] = v; }
  }
}

/** Decodes m elements of `x` from element st into `o` (exact float64). */
export function decodeBlock(x: Packed, st: number, m: number, o: Float64Array): void {
  if (x.dtype === 'F32') {
    const a = x.f32;
    for (let i = 0; i < m; i++) o[i] = a[st + i];
    return;
  }
  const t = x.table, w = x.u32, h = x.u16;
  const pairs = m >>> 1, w0 = st >>> 1;
  for (let j = 0, i = 0; j < pairs; j++, i += 2) {
    const q = w[w0 + j];
    o[i] = t[q & 0xffff];
    o[i + 1] = t[q >>> 16];
  }
  if (m & 1) o[m - 1] = t[h[st + m - 1]];
}

function scratch(k: number): Float64Array {
  while (X.length <= k) X.push(new Float64Array(BLOCK));
  return X[k];
}

/** The generic block: decodes every input, then the reference's order term by term. */
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
  if (spec.base === null) for (let i = 0; i < m; i++) { const v = s * acc[i]; D[i] = v; S[i] = v; }
  else {
    const base = dec[spec.base];
    for (let i = 0; i < m; i++) { const v = base[i] + s * acc[i]; D[i] = v; S[i] = v; }
  }
}

/** combine on packed inputs (checked by the caller): the output bytes, rounded once. */
export function fusedCombine(inputs: ChunkInput[], spec: CombineSpec, n: number): Uint8Array {
  const xs = inputs.map((x) => pack(x, n));
  const out = outBuffer(spec.outDtype, n);
  const one = spec.terms.length === 1 ? spec.terms[0] : null;
  const all16 = xs.every((x) => x.dtype !== 'F32');
  const all32 = xs.every((x) => x.dtype === 'F32');
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    if (one && all16 && (m & 1) === 0) {
      const a = xs[one.a];
      const w0 = st >>> 1, pairs = m >>> 1;
      if (spec.base === null) {
        if (one.b === null) one16(a.u32, a.table, one.w, spec.scale, w0, pairs);
        else diff16(a.u32, a.table, xs[one.b].u32, xs[one.b].table, one.w, spec.scale, w0, pairs);
      } else {
        const x = xs[spec.base];
        if (one.b === null) base16One(x.u32, x.table, a.u32, a.table, one.w, spec.scale, w0, pairs);
        else base16Diff(x.u32, x.table, a.u32, a.table, xs[one.b].u32, xs[one.b].table, one.w, spec.scale, w0, pairs);
      }
    } else if (one && all32) {
      oneTerm32(spec.base === null ? null : xs[spec.base].f32, xs[one.a].f32, one.b === null ? null : xs[one.b].f32, one.w, spec.scale, st, m);
    } else genericBlock(xs, spec, st, m);
    encodeBlock(spec.outDtype, m, st, out);
  }
  return out.bytes;
}
