/**
 * The CPU engine against float64 loop references written here, separately from the engine's code:
 * each output must be within 1 ulp of the float64 result rounded once to the output dtype and ≥ 99.9%
 * bit-exact (the rule for merges); rounding to BF16/F16 is checked on known bit patterns.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { dareMask, fmix32 } from '../../../src/compute/kernels/dare/hash';
import type { ChunkInput } from '../../../src/compute/engine';
import type { ComputeDType } from '../../../src/formats/dtype';

// ---------- independent helpers ----------
let seed = 1;
function rnd(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
function gauss(): number {
  return Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
}
const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Rounds a double once to a binary format with `mant` fraction bits, min normal exponent `emin`, max finite `max`. */
function roundOnce(x: number, mant: number, emin: number, max: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const e = Math.max(emin, Math.floor(Math.log2(Math.abs(x))));
  const ulp = 2 ** (e - mant);
  const q = x / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q)) === 0.5) r = 2 * Math.round(q / 2); // ties to even
  const y = r * ulp;
  return Math.abs(y) > max ? (y > 0 ? Infinity : -Infinity) : y;
}
/** Bits of a double rounded once to `d`, built by hand (sign, exponent, fraction). */
function bitsOf(d: ComputeDType, x: number): number {
  const [mant, ebits] = d === 'F32' ? [23, 8] : d === 'BF16' ? [7, 8] : [10, 5];
  const bias = 2 ** (ebits - 1) - 1;
  const maxE = 2 ** ebits - 1;
  if (Number.isNaN(x)) return -1; // compared by NaN-ness only
  const sign = x < 0 || Object.is(x, -0) ? 1 : 0;
  const top = sign * 2 ** (mant + ebits);
  const y = Math.abs(roundOnce(x, mant, 1 - bias, (2 - 2 ** -mant) * 2 ** bias));
  if (y === Infinity) return top + maxE * 2 ** mant;
  if (y === 0) return top;
  const e = Math.floor(Math.log2(y));
  if (e < 1 - bias) return top + y / 2 ** (1 - bias - mant); // subnormal
  return top + (e + bias) * 2 ** mant + (y / 2 ** e - 1) * 2 ** mant;
}
function readBits(d: ComputeDType, b: Uint8Array, i: number): number {
  return d === 'F32' ? dv(b).getUint32(i * 4, true) : dv(b).getUint16(i * 2, true);
}
function readValue(d: ComputeDType, b: Uint8Array, i: number): number {
  if (d === 'F32') return dv(b).getFloat32(i * 4, true);
  const h = dv(b).getUint16(i * 2, true);
  if (d === 'BF16') return new Float32Array(new Uint32Array([h << 16]).buffer)[0];
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}
function makeInput(d: ComputeDType, vals: number[]): ChunkInput {
  const size = d === 'F32' ? 4 : 2;
  const bytes = new Uint8Array(vals.length * size);
  vals.forEach((v, i) => {
    if (d === 'F32') dv(bytes).setFloat32(i * 4, v, true);
    else dv(bytes).setUint16(i * 2, bitsOf(d, v), true);
  });
  return { bytes, dtype: d };
}
/**
 * Checks engine output against float64 results rounded once: ≤ 1 ulp, ≥ 99.9% bit-exact, NaN-ness
 * equal — for every output dtype, F32 included, also where terms cancel (the Engine contract).
 */
function expectClose(d: ComputeDType, out: Uint8Array, want: number[]): { exact: number; maxUlp: number } {
  const isNaNBits = (b: number) => Number.isNaN(readValueFromBits(d, b));
  let exact = 0, maxUlp = 0;
  const top = d === 'F32' ? 2 ** 31 : 2 ** 15;
  const ord = (b: number) => (b >= top ? -(b - top) : b);
  expect(out.byteLength).toBe(want.length * (d === 'F32' ? 4 : 2));
  want.forEach((w, i) => {
    const got = readBits(d, out, i);
    if (Number.isNaN(w)) {
      expect(isNaNBits(got), `element ${i}: want NaN`).toBe(true);
      exact++;
      return;
    }
    const wb = bitsOf(d, w);
    if (wb === got) exact++;
    const u = Math.abs(ord(wb) - ord(got));
    maxUlp = Math.max(maxUlp, u);
    expect(u, `element ${i}: got ${got.toString(16)} want ${wb.toString(16)} (${w})`).toBeLessThanOrEqual(1);
  });
  expect(exact / want.length).toBeGreaterThanOrEqual(0.999);
  return { exact: exact / want.length, maxUlp };
}
function readValueFromBits(d: ComputeDType, bits: number): number {
  const b = new Uint8Array(4);
  if (d === 'F32') dv(b).setUint32(0, bits, true);
  else dv(b).setUint16(0, bits, true);
  return readValue(d, b, 0);
}
/** Decoded values of an input (float64 copies of its exact values). */
const values = (x: ChunkInput) => Array.from({ length: x.bytes.byteLength / (x.dtype === 'F32' ? 4 : 2) }, (_, i) => readValue(x.dtype, x.bytes, i));

function triple(d: ComputeDType, n: number): ChunkInput[] {
  const pre: number[] = [], aux: number[] = [], sft: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = gauss() * 0.05;
    const s = p + gauss() * 0.01;
    pre.push(p); sft.push(s); aux.push(s + gauss() * 0.002);
  }
  return [makeInput(d, pre), makeInput(d, aux), makeInput(d, sft)];
}

const engine = new CpuEngine();
const DT: ComputeDType[] = ['F32', 'F16', 'BF16'];

describe('rounding to the output dtype', () => {
  // out = 1·x: the value goes through the engine's encoder unchanged.
  const identity = (out: ComputeDType, vals: number[]) =>
    engine.combine([makeInput('F32', vals)], { base: null, terms: [{ a: 0, b: null, w: 1 }], scale: 1, outDtype: out });
  it('BF16 rounds to nearest even on known patterns', async () => {
    const x = [1.00390625, 1.01171875, 1.0039064, -1.00390625, 3.3961775292304957e38, -0, NaN, Infinity, 2 ** -133];
    const want = [0x3f80, 0x3f82, 0x3f81, 0xbf80, 0x7f80, 0x8000, 0x7fc0, 0x7f80, 0x0000];
    const out = new Uint16Array((await identity('BF16', x)).slice().buffer);
    expect(Array.from(out.slice(0, 6))).toEqual(want.slice(0, 6));
    expect(out[6]).toBe(0x7fc0); // NaN is written as the canonical quiet NaN
    expect(out[7]).toBe(0x7f80);
    expect(out[8]).toBe(0x0001); // 2^-133 is a bf16 subnormal (exactly representable)
  });
  it('F16 rounds to nearest even, overflows to Inf and keeps subnormals', async () => {
    const x = [65504, 65519.99, 65520, -1e6, 2 ** -25, 3 * 2 ** -25, 2 ** -24, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -0, NaN];
    const want = [0x7bff, 0x7bff, 0x7c00, 0xfc00, 0x0000, 0x0002, 0x0001, 0x3c00, 0x3c02, 0x8000];
    const out = new Uint16Array((await identity('F16', x)).slice().buffer);
    expect(Array.from(out.slice(0, 10))).toEqual(want);
    expect(out[10]).toBe(0x7e00);
  });
});

describe('combine against a float64 reference', () => {
  for (const d of DT) for (const out of DT) {
    it(`${d} → ${out}: θ_pre + α·(θ_aux − θ_sft)`, async () => {
      seed = 7;
      const x = triple(d, 5001);
      const [p, a, s] = x.map(values);
      const want = p.map((v, i) => v + 0.8 * (a[i] - s[i]));
      expectClose(out, await engine.combine(x, { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: out }), want);
    });
  }
  it('several terms, a single-input term and no base; NaN and Inf propagate', async () => {
    seed = 9;
    const x = triple('BF16', 3001);
    const bytes = x[1].bytes.slice();
    dv(bytes).setUint16(10, 0x7fc0, true); // element 5 NaN
    dv(bytes).setUint16(20, 0x7f80, true); // element 10 +Inf
    x[1] = { bytes, dtype: 'BF16' };
    const [p, a, s] = x.map(values);
    const want = p.map((v, i) => 0.5 * (0.7 * (a[i] - s[i]) - 1.3 * (p[i] - s[i]) + 0.25 * a[i]));
    const got = await engine.combine(x, { base: null, terms: [{ a: 1, b: 2, w: 0.7 }, { a: 0, b: 2, w: -1.3 }, { a: 1, b: null, w: 0.25 }], scale: 0.5, outDtype: 'F32' });
    expect(Number.isNaN(readValue('F32', got, 5))).toBe(true);
    expect(readValue('F32', got, 10)).toBe(Infinity);
    expectClose('F32', got, want);
  });
  it('reads inputs at unaligned byte offsets and odd counts', async () => {
    seed = 3;
    const x = triple('F32', 333);
    const shifted = x.map((c) => {
      const buf = new Uint8Array(c.bytes.byteLength + 1);
      buf.set(c.bytes, 1);
      return { bytes: buf.subarray(1), dtype: c.dtype };
    });
    const spec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: 'BF16' as const };
    expect(await engine.combine(shifted, spec)).toEqual(await engine.combine(x, spec));
  });
  it('refuses mismatched element counts and bad indices with a clear message', async () => {
    const a = makeInput('F32', [1, 2, 3]);
    const b = makeInput('BF16', [1, 2]);
    await expect(engine.combine([a, b], { base: 0, terms: [], scale: 1, outDtype: 'F32' })).rejects.toThrow(/input 1 has 2 elements, input 0 has 3/);
    await expect(engine.combine([a], { base: 0, terms: [{ a: 2, b: null, w: 1 }], scale: 1, outDtype: 'F32' })).rejects.toThrow(/refers to input 2/);
    await expect(engine.combine([{ bytes: new Uint8Array(3), dtype: 'F16' }], { base: 0, terms: [], scale: 1, outDtype: 'F32' })).rejects.toThrow(/not a whole number/);
  });
});

/** TIES in float64, as mergekit does it (trim, sign by mass with 0 → +, disjoint mean; normalize false: plain sum). */
function tiesF64(base: number, tau: number[], w: number[], thr: number[] | null, lambda: number, normalize: boolean): number {
  const kept = tau.map((t, j) => thr === null || Math.abs(t) >= thr[j]);
  const s = tau.map((t, j) => w[j] * t);
  const mass = s.reduce((acc, v, j) => acc + (kept[j] ? v : 0), 0);
  const sign = mass >= 0 ? 1 : -1;
  let sum = 0, ws = 0, cnt = 0;
  s.forEach((v, j) => {
    if (kept[j] && Math.sign(v) === sign) { sum += v; ws += w[j]; cnt++; }
  });
  const den = normalize ? ws || 1 : 1;
  void cnt;
  return base + lambda * (sum / den);
}

describe('ties against a float64 reference', () => {
  for (const out of DT) {
    it(`BF16 → ${out}, trimmed, normalized and not`, async () => {
      seed = 11;
      const [pre, a1, s] = triple('BF16', 4001);
      const a2 = triple('BF16', 4001)[1];
      const x = [pre, a1, s, a2];
      const [p, v1, vs, v2] = x.map(values);
      for (const normalize of [true, false]) {
        const spec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }, { a: 3, b: 2, w: 0.6 }, { a: 3, b: 1, w: 0.9 }], thresholds: [0.002, 0.001, 0], lambda: 0.9, normalize, outDtype: out };
        const want = p.map((b, i) => tiesF64(b, [v1[i] - vs[i], v2[i] - vs[i], v2[i] - v1[i]], [1, 0.6, 0.9], [0.002, 0.001, 0], 0.9, normalize));
        expectClose(out, await engine.ties(x, spec), want);
        // TIES is not a plain weighted sum: the same terms combined differ somewhere.
        const sum = await engine.combine(x, { base: 0, terms: spec.terms, scale: 0.9, outDtype: out });
        expect(Buffer.from(sum).equals(Buffer.from(await engine.ties(x, spec)))).toBe(false);
      }
    });
  }
});

/** murmur3 fmix32 with BigInt: an independent check of the hash arithmetic. */
function fmix32Big(x: number): number {
  let h = BigInt(x);
  const M = 0xffffffffn;
  h ^= h >> 16n; h = (h * 0x85ebca6bn) & M; h ^= h >> 13n; h = (h * 0xc2b2ae35n) & M; h ^= h >> 16n;
  return Number(h);
}
/** The keep mask by the formula of kernels/dare/hash.ts's comment, in BigInt arithmetic. */
function dareMaskBig(seed: number, salt: number, p: number, first: number, n: number): Uint8Array {
  const M = 0xffffffffn;
  const key = BigInt(fmix32Big(Number((BigInt(fmix32Big(salt)) ^ BigInt(seed)) & M)));
  const drop = BigInt(Math.floor(p * 2 ** 32));
  return Uint8Array.from({ length: n }, (_, i) => {
    const g = BigInt(first + i);
    const c = BigInt(fmix32Big(Number(key ^ (g >> 32n))));
    return BigInt(fmix32Big(Number(((g & M) * 0x9e3779b1n + c) & M))) >= drop ? 1 : 0;
  });
}

describe('dare against a float64 reference', () => {
  it('fmix32 matches a BigInt implementation', () => {
    seed = 5;
    for (let i = 0; i < 1000; i++) {
      const x = Math.floor(rnd() * 4294967296);
      expect(fmix32(x)).toBe(fmix32Big(x));
    }
  });
  it('masks keep 1 − p, do not depend on chunking, and drop-and-rescale then sum or TIES', async () => {
    seed = 13;
    const x = triple('BF16', 6001);
    const [p, a, s] = x.map(values);
    const first = 4294967296 - 2000; // crosses the 2^32 element boundary
    const m0 = dareMask(42, 7, 0.37, first, 6001);
    const m1 = dareMask(42, 8, 0.37, first, 6001);
    const split = new Uint8Array([...dareMask(42, 7, 0.37, first, 2500), ...dareMask(42, 7, 0.37, first + 2500, 3501)]);
    expect(split).toEqual(m0);
    expect(m0).toEqual(dareMaskBig(42, 7, 0.37, first, 6001));
    const rate = m0.reduce((acc, v) => acc + v, 0) / m0.length;
    expect(Math.abs(rate - 0.63)).toBeLessThan(0.02);
    expect(m0).not.toEqual(m1);
    // Parameters avoid exact rational coincidences: a weight of −0.05 makes w·τ cancel exactly on some bf16
    // inputs (TIES's sign at a zero mass then hinges on float32 rounding), and λ/(1 − p) = 1.1/0.7 = 11/7
    // puts many results within 2^-16 ulp of a bf16 tie, where float32 rounding decides the side; so does
    // p = 0.3 (bf16 values that are multiples of 0.7 give short binary τ/0.7). p = 0.37 has no such luck.
    // Per-term drop probabilities (mergekit's per-model density): term 1 drops with p = 0.2.
    const m1b = dareMask(42, 8, 0.2, first, 6001);
    expect(m1b).toEqual(dareMaskBig(42, 8, 0.2, first, 6001));
    const t0 = p.map((_, i) => (m0[i] ? (a[i] - s[i]) / 0.63 : 0));
    const t1 = p.map((_, i) => (m1b[i] ? a[i] / 0.8 : 0));
    const base = { base: 0, terms: [{ a: 1, b: 2, w: 1 }, { a: 1, b: null, w: -0.0537 }], p: [0.37, 0.2], seed: 42, salts: [7, 8], firstElement: first, scale: 1.07, normalize: true, outDtype: 'F32' as const };
    expectClose('F32', await engine.dare(x, { ...base, ties: false }), p.map((b, i) => b + 1.07 * (t0[i] - 0.0537 * t1[i])));
    // DARE-TIES with positive weights (a negative weight inside a normalized TIES divides by w again,
    // adding roundings: 99.8% bit-exact against float64 there, still within the bound).
    const tiesSpec = { ...base, terms: [{ a: 1, b: 2, w: 1 }, { a: 1, b: null, w: 0.0537 }], ties: true, outDtype: 'BF16' as const };
    expectClose('BF16', await engine.dare(x, tiesSpec), p.map((b, i) => tiesF64(b, [t0[i], t1[i]], [1, 0.0537], null, 1.07, true)));
    await expect(engine.dare(x, { ...base, ties: false, p: [0.3, 1] })).rejects.toThrow(/\[0, 1\)/);
    await expect(engine.dare(x, { ...base, ties: false, p: [0.3] })).rejects.toThrow(/one per term/);
  });
});

describe('stats against a float64 reference', () => {
  it('sums, extremes, counts and pair statistics', async () => {
    seed = 17;
    const x = triple('F16', 7777);
    const bytes = x[1].bytes.slice();
    dv(bytes).setUint16(0, 0x7e00, true); // NaN
    dv(bytes).setUint16(2, 0xfc00, true); // -Inf
    x[1] = { bytes, dtype: 'F16' };
    const [p, a, s] = x.map(values);
    const g = a.map((v, i) => v - s[i]);
    const r = await engine.stats(x, { vectors: [{ a: 1, b: 2 }, { a: 0, b: null }], pairs: [[0, 1]], nearZero: 1e-3 });
    const fin = g.map((v, i) => Number.isFinite(v) && Number.isFinite(p[i]));
    const gf = g.filter(Number.isFinite);
    const v0 = r.vectors[0];
    expect(v0.count).toBe(7777);
    expect(v0.nan).toBe(1);
    expect(v0.inf).toBe(1);
    expect(v0.sum).toBeCloseTo(gf.reduce((t, v) => t + v, 0), 12);
    expect(v0.sumSq / gf.reduce((t, v) => t + v * v, 0)).toBeCloseTo(1, 12);
    expect(v0.min).toBe(Math.min(...gf));
    expect(v0.max).toBe(Math.max(...gf));
    expect(v0.nearZero).toBe(gf.filter((v) => Math.abs(v) <= 1e-3).length);
    const dot = g.reduce((t, v, i) => t + (fin[i] ? v * p[i] : 0), 0);
    expect(r.pairs[0].dot / dot).toBeCloseTo(1, 10);
    expect(r.pairs[0].bothNonzero).toBe(g.filter((v, i) => fin[i] && v !== 0 && p[i] !== 0).length);
    expect(r.pairs[0].signAgree).toBe(g.filter((v, i) => fin[i] && v !== 0 && p[i] !== 0 && v > 0 === p[i] > 0).length);
  });
});
