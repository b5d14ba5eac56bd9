/**
 * Statistics on the WebGPU engine: stats.wgsl.ts's kernel writes one record of double-float partial
 * sums, counts and min/max keys per workgroup; they are added here in float64. A spec too large for
 * workgroup memory runs one vector, or one pair, per pass.
 */
import type { GpuDispatch } from '../../op';
import type { ChunkInput } from '../common/inputs';
import { emptyPairStats, emptyVectorStats, type StatsResult, type StatsSpec } from './stats.ref';
import { PAIR_WORDS, STATS_ELEMENTS_PER_GROUP, VECTOR_WORDS, statsKernel, statsRecordWords, statsWorkgroupBytes } from './stats.wgsl';

/** Decodes an order-preserving key (stats.wgsl.ts's fkey) back to its float. */
const keyF32 = new Float32Array(1);
const keyU32 = new Uint32Array(keyF32.buffer);
function keyToFloat(key: number): number {
  keyU32[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
  return keyF32[0];
}

/** The WebGPU statistics of a checked call of n elements: per-workgroup partial records summed in float64. */
export async function statsGpu(gpu: GpuDispatch, inputs: ChunkInput[], spec: StatsSpec, n: number): Promise<StatsResult> {
  if (statsWorkgroupBytes(spec) > gpu.device.limits.maxComputeWorkgroupStorageSize) return statsSplit(gpu, inputs, spec, n);
  const vectors = spec.vectors.map(() => emptyVectorStats());
  const pairs = spec.pairs.map(() => emptyPairStats());
  for (const v of vectors) v.count = n;
  const R = statsRecordWords(spec);
  if (R === 0 || n === 0) return { vectors, pairs };
  const plan = statsKernel(inputs.map((x) => x.dtype), spec, gpu.twoProd);
  const per = gpu.dispatchElements(inputs, 0);
  for (let s = 0; s < n; s += per) {
    const m = Math.min(per, n - s);
    const groups = Math.ceil(m / STATS_ELEMENTS_PER_GROUP);
    await gpu.dispatch(plan, inputs, s, m, s, groups, 1, groups * R, (buf) => {
      const u = new Uint32Array(buf, 0, groups * R);
      const f = new Float32Array(buf, 0, groups * R);
      for (let g = 0; g < groups; g++) {
        const r = g * R;
        vectors.forEach((v, k) => {
          const o = r + k * VECTOR_WORDS;
          v.sum += f[o] + f[o + 1];
          v.sumSq += f[o + 2] + f[o + 3];
          // min/max are (hi, lo) key pairs; hi + lo is exact in float64.
          if (u[o + 4] !== 0xffffffff) v.min = Math.min(v.min, keyToFloat(u[o + 4]) + keyToFloat(u[o + 5]));
          if (u[o + 6] !== 0) v.max = Math.max(v.max, keyToFloat(u[o + 6]) + keyToFloat(u[o + 7]));
          v.nan += u[o + 8];
          v.inf += u[o + 9];
          v.nearZero += u[o + 10];
        });
        pairs.forEach((p, k) => {
          const o = r + vectors.length * VECTOR_WORDS + k * PAIR_WORDS;
          p.dot += f[o] + f[o + 1];
          p.signAgree += u[o + 2];
          p.bothNonzero += u[o + 3];
        });
      }
    });
  }
  return { vectors, pairs };
}

/** Too many vectors for workgroup memory: one vector, or one pair, per pass. */
async function statsSplit(gpu: GpuDispatch, inputs: ChunkInput[], spec: StatsSpec, n: number): Promise<StatsResult> {
  const vectors = [];
  for (const v of spec.vectors) vectors.push((await statsGpu(gpu, inputs, { vectors: [v], pairs: [], nearZero: spec.nearZero }, n)).vectors[0]);
  const pairs = [];
  for (const [p, q] of spec.pairs) {
    const r = await statsGpu(gpu, inputs, { vectors: [spec.vectors[p], spec.vectors[q]], pairs: [[0, 1]], nearZero: spec.nearZero }, n);
    pairs.push(r.pairs[0]);
  }
  return { vectors, pairs };
}
