import { describe, expect, it } from 'vitest';
import {
  addChunk, addToHistogram, computeTensorStats, createHistogram, createMoments, finishMoments, histogramEdges,
} from '../../../src/analysis/tensor-stats';

/** A deliberately naive reference: whole-array, two-pass, written apart from the streaming code. */
function naive(values: number[]) {
  const f = values.filter(Number.isFinite);
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  return {
    min: Math.min(...f),
    max: Math.max(...f),
    mean,
    std: Math.sqrt(f.reduce((a, b) => a + (b - mean) ** 2, 0) / f.length),
    l2: Math.sqrt(f.reduce((a, b) => a + b * b, 0)),
  };
}

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

function* chunksOf(a: ArrayLike<number>, size: number) {
  for (let i = 0; i < a.length; i += size) yield Array.prototype.slice.call(a, i, i + size) as number[];
}

describe('tensor-stats', () => {
  it('matches a whole-array reference whatever the chunking', async () => {
    const rnd = lcg(7);
    const values = Float32Array.from({ length: 10_007 }, () => rnd() * 3 + 0.5);
    const ref = naive(Array.from(values));
    for (const size of [1, 13, 1000, 20_000]) {
      const s = await computeTensorStats(() => chunksOf(values, size));
      expect(s.count).toBe(values.length);
      expect(s.min).toBe(ref.min);
      expect(s.max).toBe(ref.max);
      expect(s.mean).toBeCloseTo(ref.mean, 12);
      expect(s.std).toBeCloseTo(ref.std, 12);
      expect(s.l2).toBeCloseTo(ref.l2, 9);
      expect(s.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
    }
  });

  it('keeps the variance of values with a large common offset (no sum-of-squares cancellation)', () => {
    // 1e8 + {0, 1, 2, 3}: variance 1.25. E[x²] − E[x]² in float64 loses it entirely.
    const m = createMoments();
    for (let k = 0; k < 1000; k++) addChunk(m, [1e8, 1e8 + 1, 1e8 + 2, 1e8 + 3]);
    const s = finishMoments(m);
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 9);
    expect(s.mean).toBeCloseTo(1e8 + 1.5, 6);
  });

  it('counts NaN, +Inf, −Inf and zeros apart and leaves them out of the moments', () => {
    const m = createMoments();
    addChunk(m, [NaN, 1, Infinity, -0, -Infinity, 3, NaN]);
    const s = finishMoments(m);
    expect(s).toMatchObject({ count: 7, finite: 3, nan: 2, posInf: 1, negInf: 1, zeros: 1, min: -0, max: 3 });
    expect(s.mean).toBeCloseTo(4 / 3, 15);
    expect(s.std).toBeCloseTo(Math.sqrt(((0 - 4 / 3) ** 2 + (1 - 4 / 3) ** 2 + (3 - 4 / 3) ** 2) / 3), 15);
    expect(s.l2).toBeCloseTo(Math.sqrt(10), 15);
  });

  it('gives NaN figures (not ±Infinity) when no value is finite, and no histogram', async () => {
    const s = await computeTensorStats(() => [[NaN, Infinity]]);
    expect(s.min).toBeNaN();
    expect(s.max).toBeNaN();
    expect(s.mean).toBeNaN();
    expect(s.l2).toBe(0);
    expect(s.histogram).toBeUndefined();
    const empty = await computeTensorStats(() => []);
    expect(empty.count).toBe(0);
  });

  it('bins values into equal bins with the top edge in the last bin', () => {
    const h = createHistogram(0, 4, 4);
    addToHistogram(h, [0, 0.5, 1, 2.999, 3, 4, NaN, Infinity]);
    expect(h.counts).toEqual([2, 1, 1, 2]);
    expect(histogramEdges(h)).toEqual([0, 1, 2, 3, 4]);
    const flat = createHistogram(2, 2, 64);
    addToHistogram(flat, [2, 2, 2]);
    expect(flat.counts).toEqual([3]);
  });
});
