/**
 * The fused statistics (src/compute/fused/stats.ts, what CpuEngine.stats runs) against the contract
 * written plainly: kernels/stats/stats.ref.ts's vectorValues / accumulateVector / accumulatePair applied
 * to consecutive BLOCK-sized pieces, decoded by f64.ref.ts — bit for bit, on random inputs, inputs that
 * cancel, NaN/±Inf/subnormal/±0 edges, values around the 2^-126 flush, and sizes off the block grid.
 * Also: the CPU pool's stats equal the in-thread engine's.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, StatsResult, StatsSpec } from '../../../src/compute/engine';
import type { ComputeDType } from '../../../src/formats/dtype';
import { decodeF64 } from '../../../src/compute/kernels/common/f64.ref';
import { accumulatePair, accumulateVector, emptyPairStats, emptyVectorStats, vectorValues } from '../../../src/compute/kernels/stats/stats.ref';
import { BLOCK } from '../../../src/compute/fused/block';
import { bf16FromF64, f16FromF64, f32FromF64 } from '../../../src/compute/fused/numbers';

let seed = 7;
function rnd(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}
const SIZE: Record<ComputeDType, number> = { F32: 4, F16: 2, BF16: 2 };
const EDGES: Record<ComputeDType, number[]> = {
  // NaN, −NaN, ±Inf, ±0, smallest subnormal, largest subnormal, smallest normal (2^-126 for F32/BF16), max, a value just above 1
  F32: [0x7fc00000, 0xffc00001, 0x7f800000, 0xff800000, 0, 0x80000000, 1, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, 0x3f808000],
  BF16: [0x7fc0, 0xff81, 0x7f80, 0xff80, 0, 0x8000, 1, 0x807f, 0x0080, 0x8080, 0x0081, 0x7f7f, 0xff7f, 0x3f81],
  F16: [0x7e00, 0xfc01, 0x7c00, 0xfc00, 0, 0x8000, 1, 0x83ff, 0x0400, 0x7bff, 0xfbff, 0x3c01],
};

function bitsOf(d: ComputeDType, v: number): number {
  return d === 'F32' ? f32FromF64(v) : d === 'BF16' ? bf16FromF64(v) : f16FromF64(v);
}
/** Random weights; `edgy` mixes in the edge patterns at rate `rate`. */
function input(d: ComputeDType, n: number, edgy: boolean, rate = 0.02): ChunkInput {
  const bytes = new Uint8Array(n * SIZE[d]);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    const bits = edgy && rnd() < rate
      ? EDGES[d][Math.floor(rnd() * EDGES[d].length)]
      : bitsOf(d, (rnd() - 0.5) * 0.1 * (rnd() < 0.1 ? 100 : 1));
    if (d === 'F32') dv.setUint32(i * 4, bits >>> 0, true);
    else dv.setUint16(i * 2, bits, true);
  }
  return { bytes, dtype: d };
}
/** Magnitudes spread over 2^±40 with random signs: running sums are often smaller than the next term. */
function wide(d: ComputeDType, n: number): ChunkInput {
  const bytes = new Uint8Array(n * SIZE[d]);
  const dv = new DataView(bytes.buffer);
  const span = d === 'F16' ? 12 : 40;
  for (let i = 0; i < n; i++) {
    const bits = bitsOf(d, (rnd() < 0.5 ? -1 : 1) * (1 + rnd()) * 2 ** Math.floor((rnd() - 0.5) * 2 * span));
    if (d === 'F32') dv.setUint32(i * 4, bits >>> 0, true);
    else dv.setUint16(i * 2, bits, true);
  }
  return { bytes, dtype: d };
}
/** A copy of `x` nudged a few ulps per element (differences cancel, many exact zeros). */
function near(x: ChunkInput): ChunkInput {
  const bytes = x.bytes.slice();
  const dv = new DataView(bytes.buffer);
  const n = bytes.length / SIZE[x.dtype];
  for (let i = 0; i < n; i++) {
    const step = Math.floor(rnd() * 5) - 2;
    if (x.dtype === 'F32') dv.setUint32(i * 4, (dv.getUint32(i * 4, true) + step) >>> 0, true);
    else dv.setUint16(i * 2, (dv.getUint16(i * 2, true) + step) & 0xffff, true);
  }
  return { bytes, dtype: x.dtype };
}

/** The contract: the reference accumulators over consecutive BLOCK-sized pieces. */
function blockwiseRef(inputs: ChunkInput[], spec: StatsSpec): StatsResult {
  const n = inputs[0].bytes.byteLength / SIZE[inputs[0].dtype];
  const x = inputs.map((c) => decodeF64(c.dtype, c.bytes, new Float64Array(n)));
  const vectors = spec.vectors.map(emptyVectorStats);
  const pairs = spec.pairs.map(emptyPairStats);
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    const xm = x.map((a) => a.subarray(st, st + m));
    const vm = spec.vectors.map((v, k) => {
      const buf = new Float64Array(m);
      vectorValues(xm, v.a, v.b, buf);
      accumulateVector(buf, spec.nearZero, vectors[k]);
      return buf;
    });
    spec.pairs.forEach(([p, q], j) => accumulatePair(vm[p], vm[q], pairs[j]));
  }
  return { vectors, pairs };
}

/** Bit-exact comparison (Object.is: −0 ≠ 0, NaN = NaN). */
function expectSame(got: StatsResult, want: StatsResult): void {
  const flat = (r: StatsResult) => [
    ...r.vectors.flatMap((v) => [v.count, v.sum, v.sumSq, v.min, v.max, v.nan, v.inf, v.nearZero]),
    ...r.pairs.flatMap((p) => [p.dot, p.signAgree, p.bothNonzero]),
  ];
  const g = flat(got), w = flat(want);
  expect(g.length).toBe(w.length);
  g.forEach((x, i) => {
    if (!Object.is(x, w[i])) throw new Error(`field ${i}: ${x} vs ${w[i]}`);
  });
}

const engine = new CpuEngine();
const capSpec = (nearZero: number): StatsSpec => ({
  vectors: [{ a: 0, b: null }, { a: 1, b: 2 }, { a: 1, b: 0 }, { a: 2, b: 0 }, { a: 3, b: 0 }],
  pairs: [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4], [0, 1]],
  nearZero,
});

describe('fused statistics equal the blockwise reference bit for bit', () => {
  for (const d of ['BF16', 'F16', 'F32'] as ComputeDType[]) {
    it(`${d}: random, cancelling and edge inputs, sizes off the block grid`, async () => {
      seed = 11 + SIZE[d];
      for (const n of [1, 2, 7, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 123]) {
        const pre = input(d, n, false);
        const clean = [pre, near(pre), near(pre), input(d, n, false)];
        const edgy = [input(d, n, true), near(pre), input(d, n, true, 0.001), near(pre)];
        const spread = [wide(d, n), wide(d, n), wide(d, n), wide(d, n)];
        for (const x of [clean, edgy, spread]) {
          for (const nz of [0, 1e-8, 1e-3]) {
            const spec = capSpec(nz);
            expectSame(await engine.stats(x, spec), blockwiseRef(x, spec));
          }
        }
      }
    });
  }

  it('mixed dtypes, repeated and single-input vectors, no pairs, misaligned bytes', async () => {
    seed = 99;
    const n = 2 * BLOCK + 5;
    const x = [input('BF16', n, true), input('F32', n, true), input('F16', n, true)];
    const spec: StatsSpec = { vectors: [{ a: 2, b: 1 }, { a: 0, b: 0 }, { a: 1, b: null }], pairs: [[0, 0], [0, 2], [2, 1]], nearZero: 2 ** -126 };
    expectSame(await engine.stats(x, spec), blockwiseRef(x, spec));
    expectSame(await engine.stats(x, { ...spec, pairs: [] }), blockwiseRef(x, { ...spec, pairs: [] }));
    const shifted = x.map((c) => {
      const buf = new Uint8Array(c.bytes.byteLength + 2);
      buf.set(c.bytes, 2);
      return { bytes: buf.subarray(2), dtype: c.dtype };
    });
    expectSame(await engine.stats(shifted, spec), blockwiseRef(x, spec));
  });

  it('flushes differences below 2^-126 before counting, and agrees with the reference there', async () => {
    // BF16: 0x0081 − 0x0080 = 2^-133 (flushed to 0), 0x0100 − 0x0080 = 2^-126 (kept), ±0 inputs.
    const a = new Uint16Array([0x0081, 0x0100, 0x8000, 0x0000, 0x3f80, 0x0081]);
    const b = new Uint16Array([0x0080, 0x0080, 0x0000, 0x8000, 0x3f80, 0x8080]);
    const x: ChunkInput[] = [{ bytes: new Uint8Array(a.buffer), dtype: 'BF16' }, { bytes: new Uint8Array(b.buffer), dtype: 'BF16' }];
    const spec: StatsSpec = { vectors: [{ a: 0, b: 1 }, { a: 0, b: null }], pairs: [[0, 1]], nearZero: 0 };
    const got = await engine.stats(x, spec);
    expectSame(got, blockwiseRef(x, spec));
    expect(got.vectors[0].nearZero).toBe(4); // 2^-133 flushed, −0, +0, 1 − 1
    expect(got.vectors[0].min).toBe(0);
    expect(got.pairs[0].bothNonzero).toBe(2);
  });

  it('the CPU pool computes the same statistics in its workers', async () => {
    seed = 5;
    const n = 3 * BLOCK + 1;
    const pre = input('BF16', n, true);
    const x = [pre, near(pre), near(pre), input('BF16', n, true)];
    const { cpuPool } = await import('../../../src/node/cpu-pool');
    const pool = await cpuPool(2, 1 << 12);
    try {
      const spec = capSpec(1e-8);
      const [a, b] = await Promise.all([pool.stats(x, spec), pool.stats(x.slice().reverse(), spec)]);
      expectSame(a, await engine.stats(x, spec));
      expectSame(b, await engine.stats(x.slice().reverse(), spec));
      await expect(pool.stats(x, { ...spec, vectors: [{ a: 9, b: null }], pairs: [] })).rejects.toThrow(/refers to input 9/);
    } finally {
      pool.dispose();
    }
  });
});
