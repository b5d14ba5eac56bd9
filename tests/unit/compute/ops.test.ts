/**
 * The op table (src/compute/ops.ts): every op, by name, runs the same on the CPU engine's named method,
 * its run(op, …), the CPU pool's worker threads and the op's reference; and a bad call fails with the
 * same message everywhere. SAMPLES and REFERENCES need a row per op (TypeScript says when one is missing).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput } from '../../../src/compute/engine';
import { refCombine, refDare, refLora, refTies } from '../../../src/compute/kernels/common/run.ref';
import { OP_NAMES, type OpName, type OpResult, type OpSpec } from '../../../src/compute/ops';
import { cpuPool, type CpuPool } from '../../../src/node/cpu-pool';
import { nearChunk, randomChunk, seeded } from './chunks';
import { blockwiseRef } from './stats-blockwise';

const rnd = seeded(31);
const pre = randomChunk(rnd, 'BF16', 5000, 0.01);
const inputs = [pre, nearChunk(rnd, pre), nearChunk(rnd, pre), randomChunk(rnd, 'BF16', 5000)];
const terms = [{ a: 1, b: 0, w: 1 }, { a: 2, b: 0, w: 0.5 }, { a: 3, b: null, w: -0.25 }];

const SAMPLES: { [K in OpName]: OpSpec<K> } = {
  combine: { base: 0, terms, scale: 0.8, outDtype: 'BF16' },
  ties: { base: 0, terms, thresholds: [0.001, 0, 0.01], lambda: 0.9, normalize: true, outDtype: 'F16' },
  dare: { base: 0, terms, p: [0.3, 0.1, 0.5], seed: 4, salts: [1, 2, 3], firstElement: 77, scale: 1, ties: true, normalize: false, outDtype: 'F32' },
  stats: { vectors: [{ a: 1, b: 0 }, { a: 2, b: 0 }], pairs: [[0, 1]], nearZero: 1e-4 },
  // Inputs 2 and 3 as rank-1 factors of a [5000, 5000] tensor, once as B·A and once as (B·A)ᵀ; rows 0 and 1.
  lora: {
    base: 0, terms: [{ a: 1, b: 0, w: 1 }], scale: 0.8, outDtype: 'F32', dense: 2, rows: 5000, cols: 5000, first: 77,
    factors: [{ a: 2, b: 3, rank: 1, w: 0.7, transpose: false }, { a: 3, b: 2, rank: 1, w: -0.3, transpose: true }],
  },
};

/** What the CPU engine must equal bit for bit (statistics: the reference block by block, as the engine sums). */
const REFERENCES: { [K in OpName]: (inputs: ChunkInput[], spec: OpSpec<K>) => OpResult<K> } = {
  combine: refCombine, ties: refTies, dare: refDare, stats: blockwiseRef, lora: refLora,
};

const engine = new CpuEngine();
let pool: CpuPool | undefined;
afterAll(() => pool?.dispose());

describe('every op of the table, on every CPU-side engine', () => {
  for (const op of OP_NAMES) {
    it(`${op}: named method, run(), the pool and the reference agree; a bad call fails alike`, async () => {
      pool ??= await cpuPool(2, 1 << 16);
      const spec = SAMPLES[op];
      const call = (e: CpuEngine | CpuPool) => (e[op] as (i: typeof inputs, s: typeof spec) => Promise<unknown>)(inputs, spec);
      const want = (REFERENCES[op] as (i: ChunkInput[], s: typeof spec) => unknown)(inputs, spec);
      expect(await call(engine)).toEqual(want);
      expect(await engine.run(op, inputs, spec)).toEqual(want);
      expect(await call(pool)).toEqual(want);
      const ragged = [inputs[0], { ...inputs[1], bytes: inputs[1].bytes.subarray(2) }];
      const message = `${op}: input 1 has 4999 elements, input 0 has 5000; all inputs of a call must match`;
      await expect(engine.run(op, ragged, spec)).rejects.toThrow(message);
      await expect(pool.run(op, ragged, spec)).rejects.toThrow(message);
    });
  }
});
