/**
 * The lora op (kernels/lora): the CPU engine's fast path equals the reference bit for bit, computing a
 * tensor in row blocks (chunks that start and end mid-row) gives the bytes of one call, and both stay
 * within 1 ulp (≥ 99.9 % exact) of a float64 reference computed here independently: ΔW formed as a
 * whole matrix product of the decoded factors, then θ + scale·(Σ w·d + Σ v·ΔW).
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { ChunkInput, LoraSpec } from '../../../src/compute/engine';
import { refLora } from '../../../src/compute/kernels/common/run.ref';
import { decodeToF32, type ComputeDType } from '../../../src/formats/dtype';
import { randomChunk, seeded } from './chunks';

const rnd = seeded(1205);
const engine = new CpuEngine();
const DTYPES: ComputeDType[] = ['F32', 'F16', 'BF16'];
const values = (c: ChunkInput) => Float64Array.from(decodeToF32(c.dtype, c.bytes));

/** ΔW = B·A as a [rows, cols] matrix ((B·A)ᵀ when transposed), in float64, row by row. */
function product(A: Float64Array, B: Float64Array, r: number, rows: number, cols: number, transpose: boolean): Float64Array {
  const out = new Float64Array(rows * cols);
  const [m, n] = transpose ? [cols, rows] : [rows, cols]; // B·A is [m, n]
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B[i * r + k] * A[k * n + j];
      if (transpose) out[j * cols + i] = s;
      else out[i * cols + j] = s;
    }
  }
  return out;
}

/** Distance in units in the last place of `dtype` at the exact value. */
function ulps(got: number, exact: number, dtype: ComputeDType): number {
  if (got === exact) return 0;
  const p = dtype === 'F32' ? 24 : dtype === 'BF16' ? 8 : 11;
  const emin = dtype === 'F16' ? -14 : -126;
  const e = Math.max(Math.floor(Math.log2(Math.abs(exact))), emin);
  return Math.abs(got - exact) / 2 ** (e - p + 1);
}

function setup(dense: ComputeDType, fac: ComputeDType, out: ComputeDType, transpose: boolean) {
  const rows = 29, cols = 23, r = 4;
  const n = rows * cols;
  const inputs = [randomChunk(rnd, dense, n), randomChunk(rnd, dense, n), randomChunk(rnd, fac, r * (transpose ? rows : cols)), randomChunk(rnd, fac, (transpose ? cols : rows) * r),
    randomChunk(rnd, fac, 2 * cols), randomChunk(rnd, fac, rows * 2)];
  const spec: LoraSpec = {
    base: 0, terms: [{ a: 1, b: 0, w: 0.7 }], scale: 0.8, outDtype: out, dense: 2, rows, cols, first: 0,
    factors: [{ a: 2, b: 3, rank: r, w: 1.5, transpose }, { a: 4, b: 5, rank: 2, w: -0.25, transpose: false }],
  };
  return { inputs, spec, rows, cols, n };
}

describe('lora op', () => {
  for (const dense of DTYPES) for (const fac of DTYPES) for (const out of DTYPES) for (const transpose of [false, true]) {
    it(`${dense} dense, ${fac} factors → ${out}${transpose ? ', (B·A)ᵀ' : ''}`, async () => {
      const { inputs, spec, rows, cols, n } = setup(dense, fac, out, transpose);
      const whole = await engine.lora(inputs, spec);
      expect(whole).toEqual(refLora(inputs, spec));
      // Row blocks: 37 elements at a time, most chunks starting and ending mid-row.
      const parts: Uint8Array[] = [];
      for (let f = 0; f < n; f += 37) {
        const m = Math.min(37, n - f);
        const dense = inputs.slice(0, 2).map((c) => ({ dtype: c.dtype, bytes: c.bytes.subarray(f * (c.dtype === 'F32' ? 4 : 2), (f + m) * (c.dtype === 'F32' ? 4 : 2)) }));
        parts.push(await engine.lora([...dense, ...inputs.slice(2)], { ...spec, first: f }));
      }
      expect(Buffer.concat(parts)).toEqual(Buffer.from(whole));
      // The independent reference.
      const [x0, x1, A, B, A2, B2] = inputs.map(values);
      const d1 = product(A, B, 4, rows, cols, transpose);
      const d2 = product(A2, B2, 2, rows, cols, false);
      const got = decodeToF32(out, whole);
      let exact = 0, worst = 0;
      for (let i = 0; i < n; i++) {
        const v = x0[i] + 0.8 * (0.7 * (x1[i] - x0[i]) + 1.5 * d1[i] - 0.25 * d2[i]);
        const u = ulps(got[i], v, out);
        if (u <= 0.5) exact++;
        worst = Math.max(worst, u);
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(exact / n).toBeGreaterThanOrEqual(0.999);
    });
  }

  it('factors that do not fit the tensor are refused with their sizes', async () => {
    const { inputs, spec } = setup('BF16', 'BF16', 'BF16', false);
    await expect(engine.lora(inputs, { ...spec, cols: 24 })).rejects.toThrow("lora: factor 0's A has 92 elements, not 4·24");
    await expect(engine.lora(inputs, { ...spec, first: 5 })).rejects.toThrow('lora: elements 5…672 are outside the [29, 23] tensor');
    await expect(engine.lora(inputs, { ...spec, factors: [{ ...spec.factors[0], a: 1 }] })).rejects.toThrow("lora: factor 0's A refers to input 1, not a factor input");
  });
});
