/**
 * The CPU engine's fused loops against the plain reference pipeline (kernels/common/run.ref.ts),
 * bit for bit, on random and edge inputs; and the three ways of rounding a float64 once (f64.ref.ts's
 * magic-constant rounding, numbers.ts's float32-then-tie rounding, the Veltkamp block rounding) against
 * each other and against hand-built double-rounding cases.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, CombineSpec } from '../../../src/compute/engine';
import type { ComputeDType } from '../../../src/formats/dtype';
import { dtypeBits, roundToDType } from '../../../src/compute/kernels/common/f64.ref';
import { refCombine, refDare, refStats, refTies } from '../../../src/compute/kernels/common/run.ref';
import { bf16FromF64, f16FromF64, f32FromF64 } from '../../../src/compute/fused/numbers';
import { firstDiff, nearChunk, randomChunk, seeded } from './chunks';
import { BLOCK, D, PATCH_AT, PATCH_V, outBuffer, roundBlock, roundingOf, writeBlock } from '../../../src/compute/fused/block';

let rnd = seeded(1);
const DT: ComputeDType[] = ['F32', 'F16', 'BF16'];

/** Random words of a dtype: mostly ordinary values, with NaN, ±Inf, ±0, subnormals, extremes mixed in. */
const randomInput = (d: ComputeDType, n: number, edgy: boolean) => randomChunk(rnd, d, n, edgy ? 0.08 : 0);
/** Inputs close to each other (θ_pre, θ_aux, θ_sft), so differences cancel and land on ties often. */
function nearInputs(d: ComputeDType, n: number, k: number): ChunkInput[] {
  const base = randomInput(d, n, false);
  return Array.from({ length: k }, (_, j) => (j === 0 ? base : nearChunk(rnd, base, 3)));
}

const engine = new CpuEngine();

describe('rounding a float64 once', () => {
  // v = 1 + 2^-8 + 2^-30: float32(v) = 1 + 2^-8 is a bf16 tie that would go to 1.0; v is above it.
  const cases: [number, ComputeDType, number][] = [
    [1 + 2 ** -8 + 2 ** -30, 'BF16', 0x3f81],
    [1 + 2 ** -8 - 2 ** -30, 'BF16', 0x3f80],
    [1 + 3 * 2 ** -8 - 2 ** -30, 'BF16', 0x3f81], // f32 rounds up onto the tie 1+3·2^-8 (would go to even 0x3f82)
    [-(1 + 2 ** -8 + 2 ** -30), 'BF16', 0xbf81],
    [1 + 2 ** -8, 'BF16', 0x3f80], // a true tie goes to even
    [1 + 2 ** -11 + 2 ** -40, 'F16', 0x3c01],
    [1 + 2 ** -11 - 2 ** -40, 'F16', 0x3c00],
    [1 + 3 * 2 ** -11 - 2 ** -40, 'F16', 0x3c01],
    [1 + 2 ** -11, 'F16', 0x3c00],
    [65520 - 2 ** -20, 'F16', 0x7bff], // just below the overflow tie: float32 rounds onto 65520
    [65520, 'F16', 0x7c00],
    [2 ** -25 + 2 ** -50, 'F16', 0x0001], // subnormal half: float32 rounds onto the tie 2^-25, v is above it
    [2 ** -25, 'F16', 0x0000],
    [3 * 2 ** -25 - 2 ** -52, 'F16', 0x0001],
    [2 ** -134 + 2 ** -170, 'BF16', 0x0001], // bf16 subnormal tie broken by bits far below float32
    [(2 - 2 ** -8) * 2 ** 127 - 2 ** 90, 'BF16', 0x7f7f], // just below bf16's overflow tie
    [(2 - 2 ** -8) * 2 ** 127, 'BF16', 0x7f80],
    [(2 - 2 ** -24) * 2 ** 127, 'F32', 0x7f800000],
    [(2 - 2 ** -24) * 2 ** 127 - 2 ** 80, 'F32', 0x7f7fffff],
    [2 ** -150 + 2 ** -200, 'F32', 0x00000001],
    [-0, 'F16', 0x8000],
    [-(2 ** -30), 'F16', 0x8000],
    [NaN, 'F32', 0x7fc00000],
    [NaN, 'BF16', 0x7fc0],
    [NaN, 'F16', 0x7e00],
  ];
  const fast = (d: ComputeDType) => (v: number) => (d === 'F32' ? f32FromF64(v) : d === 'BF16' ? bf16FromF64(v) : f16FromF64(v));
  /** Through the fused block path: Veltkamp rounding, extraction and patches. */
  const viaBlock = (d: ComputeDType, vals: number[]): number[] => {
    const out = outBuffer(d, vals.length);
    const { c, lo, hi } = roundingOf(d);
    for (let st = 0; st < vals.length; st += BLOCK) {
      const m = Math.min(BLOCK, vals.length - st);
      for (let i = 0; i < m; i++) D[i] = vals[st + i];
      writeBlock(out, st, m, roundBlock(m, c, lo, hi));
    }
    return vals.map((_, i) => (d === 'F32' ? out.u32[i] >>> 0 : out.u16[i]));
  };
  it('breaks double-rounding ties the right way (reference, slow path, block path)', () => {
    for (const [v, d, want] of cases) {
      expect(dtypeBits(v, d), `ref ${v} ${d}`).toBe(want);
      expect(fast(d)(v), `slow path ${v} ${d}`).toBe(want);
      expect(viaBlock(d, [v, 1.5])[0], `block ${v} ${d}`).toBe(want);
    }
  });
  it('agrees on random doubles, near ties and across ranges, in all three implementations', () => {
    rnd = seeded(99);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    for (const d of DT) {
      const vals: number[] = [];
      for (let k = 0; k < 20000; k++) {
        let v = (rnd() - 0.5) * 2 ** (Math.floor(rnd() * (d === 'F16' ? 44 : 300)) - (d === 'F16' ? 28 : 150));
        if (k % 3 === 0) {
          // move onto a bf16/f16 tie of float32, then nudge by far less than a float32 ulp (or not)
          f[0] = v;
          u[0] = (u[0] & (d === 'F16' ? 0xffffe000 : 0xffff0000)) | (d === 'F16' ? 0x1000 : 0x8000);
          v = f[0] * (1 + (k % 2 ? 0 : (rnd() - 0.5) * 2 ** -35));
        }
        vals.push(v);
      }
      const block = viaBlock(d, vals);
      vals.forEach((v, i) => {
        const want = dtypeBits(v, d);
        expect(fast(d)(v), `${d} ${v}`).toBe(want);
        expect(block[i], `${d} block ${v}`).toBe(want);
      });
    }
  });
  it('roundToDType gives values of the dtype (idempotent) and rounds monotonically', () => {
    rnd = seeded(5);
    for (const d of DT) {
      let prev = -Infinity;
      const xs = Array.from({ length: 2000 }, () => (rnd() - 0.5) * 4).sort((a, b) => a - b);
      for (const x of xs) {
        const r = roundToDType(x, d);
        expect(roundToDType(r, d)).toBe(r);
        expect(r).toBeGreaterThanOrEqual(prev);
        prev = r;
      }
    }
  });
  it('uses the patch list only for values outside the fast range', () => {
    [1, -2, 0, -0, 3.5].forEach((v, i) => (D[i] = v));
    expect(roundBlock(5, ...Object.values(roundingOf('BF16')) as [number, number, number])).toBe(0);
    [1, NaN, 2 ** -130, Infinity, 1e39].forEach((v, i) => (D[i] = v));
    expect(roundBlock(5, ...Object.values(roundingOf('BF16')) as [number, number, number])).toBe(4);
    expect(Array.from(PATCH_AT.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(PATCH_V[1]).toBe(2 ** -130);
  });
});

describe('fused combine equals the reference bit for bit', () => {
  const shapes: [string, (k: number) => CombineSpec['terms'], number | null][] = [
    ['base + w·(a − b)', () => [{ a: 1, b: 2, w: 1 }], 0],
    ['w·(a − b), no base', () => [{ a: 1, b: 2, w: 0.7 }], null],
    ['base + w·a', () => [{ a: 1, b: null, w: -1.25 }], 0],
    ['w·a alone', () => [{ a: 0, b: null, w: 0.5 }], null],
    ['two terms sharing b', () => [{ a: 1, b: 0, w: 0.3 }, { a: 2, b: 0, w: 0.45 }], 0],
    ['three terms, mixed', () => [{ a: 1, b: 2, w: 0.7 }, { a: 0, b: 2, w: -1.3 }, { a: 1, b: null, w: 0.25 }], null],
    ['no terms', () => [], 0],
  ];
  for (const inD of DT) for (const outD of DT) {
    it(`${inD} → ${outD}, every shape, random + edge inputs, odd count`, async () => {
      rnd = seeded(1000 + DT.indexOf(inD) * 3 + DT.indexOf(outD));
      const n = 5003;
      const sets = [[0, 1, 2].map(() => randomInput(inD, n, true)), nearInputs(inD, n, 3)];
      for (const x of sets) for (const [name, terms, base] of shapes) {
        for (const scale of [0.8, 0.5, 1]) {
          const spec: CombineSpec = { base, terms: terms(3), scale, outDtype: outD };
          const diff = firstDiff(await engine.combine(x, spec), refCombine(x, spec));
          expect(diff, `${name}, scale ${scale}`).toBeNull();
        }
      }
    });
  }
  it('mixed input dtypes, unaligned offsets and blocks crossing the chunk end', async () => {
    rnd = seeded(77);
    const n = 4099;
    const x = [randomInput('BF16', n, true), randomInput('F32', n, true), randomInput('F16', n, true)];
    const shifted = x.map((c) => {
      const buf = new Uint8Array(c.bytes.byteLength + 3);
      buf.set(c.bytes, 3);
      return { bytes: buf.subarray(3), dtype: c.dtype };
    });
    for (const outD of DT) {
      const spec: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 0.9 }], scale: 0.8, outDtype: outD };
      expect(firstDiff(await engine.combine(x, spec), refCombine(x, spec))).toBeNull();
      expect(firstDiff(await engine.combine(shifted, spec), refCombine(x, spec))).toBeNull();
    }
    const y = [randomInput('BF16', n, true), randomInput('BF16', n, true), randomInput('BF16', n, true)];
    const sh = y.map((c) => {
      const buf = new Uint8Array(c.bytes.byteLength + 2);
      buf.set(c.bytes, 2);
      return { bytes: buf.subarray(2), dtype: c.dtype };
    });
    const spec: CombineSpec = { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: 0.8, outDtype: 'BF16' };
    expect(firstDiff(await engine.combine(sh, spec), refCombine(y, spec))).toBeNull();
  });
});

describe('ties, dare and stats on the engine equal the reference pipeline', () => {
  for (const outD of DT) {
    it(`ties and dare → ${outD}`, async () => {
      rnd = seeded(300 + DT.indexOf(outD));
      const n = 3001;
      const x = [...nearInputs('BF16', n, 3), randomInput('BF16', n, true)];
      for (const normalize of [true, false]) {
        const ties = { base: 0, terms: [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.6 }, { a: 3, b: 0, w: -0.4 }], thresholds: [0.0001, 0, 0.01], lambda: 0.9, normalize, outDtype: outD };
        expect(firstDiff(await engine.ties(x, ties), refTies(x, ties))).toBeNull();
        for (const t of [false, true]) {
          const dare = { base: 0, terms: ties.terms, p: [0.3, 0, 0.65], seed: 9, salts: [1, 2, 3], firstElement: 2 ** 32 - 1000, scale: 1.1, ties: t, normalize, outDtype: outD };
          expect(firstDiff(await engine.dare(x, dare), refDare(x, dare))).toBeNull();
        }
      }
    });
  }
  it('stats', async () => {
    rnd = seeded(404);
    const x = [randomInput('F16', 5000, true), randomInput('F16', 5000, true)];
    const spec = { vectors: [{ a: 0, b: 1 }, { a: 1, b: null }], pairs: [[0, 1]] as [number, number][], nearZero: 1e-3 };
    const got = await engine.stats(x, spec);
    const want = refStats(x, spec);
    got.vectors.forEach((v, k) => {
      const w = want.vectors[k];
      expect({ ...v, sum: 0, sumSq: 0 }).toEqual({ ...w, sum: 0, sumSq: 0 });
      expect(v.sum).toBeCloseTo(w.sum, 9);
      expect(v.sumSq / w.sumSq).toBeCloseTo(1, 12);
    });
    expect(got.pairs[0].signAgree).toBe(want.pairs[0].signAgree);
    expect(got.pairs[0].dot / want.pairs[0].dot).toBeCloseTo(1, 12);
  });
});
