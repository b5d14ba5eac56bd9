/**
 * The statistics contract written plainly: kernels/stats/stats.ref.ts's accumulators over consecutive
 * BLOCK-sized pieces of inputs decoded by f64.ref.ts — what CpuEngine.stats must equal bit for bit.
 */
import { expect } from 'vitest';
import type { ChunkInput, StatsResult, StatsSpec } from '../../../src/compute/engine';
import { BLOCK } from '../../../src/compute/fused/block';
import { decodeF64 } from '../../../src/compute/kernels/common/f64.ref';
import { accumulatePair, accumulateVector, emptyPairStats, emptyVectorStats, vectorValues } from '../../../src/compute/kernels/stats/stats.ref';
import { SIZE } from './chunks';

export function blockwiseRef(inputs: ChunkInput[], spec: StatsSpec): StatsResult {
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
export function expectSameStats(got: StatsResult, want: StatsResult): void {
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
