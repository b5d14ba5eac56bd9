/**
 * The fused statistics (src/compute/kernels/stats/stats.cpu.ts, what CpuEngine.stats runs) against the contract
 * written plainly: kernels/stats/stats.ref.ts's vectorValues / accumulateVector / accumulatePair applied
 * to consecutive BLOCK-sized pieces, decoded by f64.ref.ts — bit for bit, on random inputs, inputs that
 * cancel, NaN/±Inf/subnormal/±0 edges, values around the 2^-126 flush, and sizes off the block grid.
 * Also: the CPU pool's stats equal the in-thread engine's.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, StatsSpec } from '../../../src/compute/engine';
import type { ComputeDType } from '../../../src/formats/dtype';
import { BLOCK } from '../../../src/compute/fused/block';
import { SIZE, bitsOf, nearChunk, randomChunk, seeded } from './chunks';
import { blockwiseRef, expectSameStats as expectSame } from './stats-blockwise';

let rnd = seeded(7);
/** Random weights; `edgy` mixes in the edge patterns at rate `rate`. */
const input = (d: ComputeDType, n: number, edgy: boolean, rate = 0.02) => randomChunk(rnd, d, n, edgy ? rate : 0);
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
const near = (x: ChunkInput) => nearChunk(rnd, x, 2);

const engine = new CpuEngine();
const capSpec = (nearZero: number): StatsSpec => ({
  vectors: [{ a: 0, b: null }, { a: 1, b: 2 }, { a: 1, b: 0 }, { a: 2, b: 0 }, { a: 3, b: 0 }],
  pairs: [[1, 2], [1, 3], [1, 4], [2, 3], [2, 4], [3, 4], [0, 1]],
  nearZero,
});

describe('fused statistics equal the blockwise reference bit for bit', () => {
  for (const d of ['BF16', 'F16', 'F32'] as ComputeDType[]) {
    it(`${d}: random, cancelling and edge inputs, sizes off the block grid`, async () => {
      rnd = seeded(11 + SIZE[d]);
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
    rnd = seeded(99);
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
    rnd = seeded(5);
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
