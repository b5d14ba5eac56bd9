/** src/analysis/spectral.ts against torch.linalg.svd in float64 (tests/fixtures/make_spectral_golden.py). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { energyRank, frobeniusSq, gaussian, matrixShape, spectralSummary, subspaceOverlap, topSvd, type Matrix } from '../../../src/analysis/spectral';

interface Case {
  shape: number[];
  k: number;
  values: number[];
  sigma: number[];
  frobeniusSq: number;
  stableRank: number;
  energyRank: Record<string, number>;
}
const golden = JSON.parse(readFileSync(join(__dirname, '../../fixtures/spectral/golden.json'), 'utf8')) as {
  cases: Record<string, Case>;
  overlaps: { a: string; b: string; k: number; overlap: number }[];
};

function matrix(c: Case): Matrix {
  const [rows, cols] = matrixShape(c.shape)!;
  return { rows, cols, data: Float64Array.from(c.values) };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('spectral: golden against torch.linalg.svd (float64)', () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    it(`${name} ${JSON.stringify(c.shape)}, k = ${c.k}: leading singular values, stable rank, energy ranks`, async () => {
      const m = matrix(c);
      const { summary } = await spectralSummary(m, { k: c.k, seed: 7 });
      const kk = Math.min(c.k, m.rows, m.cols);
      expect(summary.exact).toBe(Math.min(m.rows, m.cols) <= c.k + 10);
      expect(summary.sigma.length).toBe(kk);
      // Exact path: to rounding. Randomised path (2 power iterations): within 1e-3 above the noise
      // floor σ_{k+11} (σᵢ ≥ 2·floor), where the approximation error ~ (σ_{k+11}/σᵢ)^5 is small;
      // in a flat tail at the floor itself within 3e-2 (measured: ≤ 2e-2 on these cases).
      const floor = c.sigma[Math.min(c.k + 10, c.sigma.length - 1)];
      for (let i = 0; i < kk; i++) {
        const tol = summary.exact ? 1e-9 : c.sigma[i] >= 2 * floor ? 1e-3 : 3e-2;
        expect(rel(summary.sigma[i], c.sigma[i]), `σ${i + 1}`).toBeLessThanOrEqual(tol);
      }
      for (let i = 1; i < kk; i++) expect(summary.sigma[i]).toBeLessThanOrEqual(summary.sigma[i - 1]);
      expect(rel(summary.frobeniusSq, c.frobeniusSq)).toBeLessThan(1e-12);
      expect(rel(summary.stableRank!, c.stableRank)).toBeLessThanOrEqual(summary.exact ? 1e-9 : c.sigma[0] >= 2 * floor ? 2e-3 : 6e-2); // ∝ σ₁⁻²
      const got = { '0.9': summary.energyRank90, '0.95': summary.energyRank95, '0.99': summary.energyRank99 };
      for (const [q, r] of Object.entries(c.energyRank)) {
        const want = r <= kk ? r : null;
        const g = got[q as keyof typeof got];
        if (summary.exact || want === null || c.sigma[want - 1] >= 2 * floor) expect(g, `energy rank at ${q}`).toBe(want);
        else expect(Math.abs((g ?? kk + 1) - want), `energy rank at ${q} in the flat tail`).toBeLessThanOrEqual(1);
      }
    });
  }

  for (const p of golden.overlaps) {
    it(`subspace overlap ${p.a} vs ${p.b}, k = ${p.k}`, async () => {
      const a = await topSvd(matrix(golden.cases[p.a]), { k: golden.cases[p.a].k, seed: 1 });
      const b = await topSvd(matrix(golden.cases[p.b]), { k: golden.cases[p.b].k, seed: 2 });
      expect(Math.abs(subspaceOverlap(a, b, p.k)! - p.overlap)).toBeLessThan(1e-3);
    });
  }
});

describe('spectral: definitions', () => {
  it('matrix views: linear [out, in], conv [out, in·k·k], 1-D and empty skipped', async () => {
    expect(matrixShape([16, 8])).toEqual([16, 8]);
    expect(matrixShape([16, 8, 3, 3])).toEqual([16, 72]);
    expect(matrixShape([8])).toBeNull();
    expect(matrixShape([])).toBeNull();
    expect(matrixShape([0, 4])).toBeNull();
  });

  it('is deterministic for a seed, and the seed only moves the randomised path within rounding', async () => {
    const c = golden.cases['tall'];
    const a = await topSvd(matrix(c), { k: c.k, seed: 3 });
    const b = await topSvd(matrix(c), { k: c.k, seed: 3 });
    const d = await topSvd(matrix(c), { k: c.k, seed: 4 });
    expect(a.exact).toBe(false);
    expect(Array.from(a.sigma)).toEqual(Array.from(b.sigma));
    expect(Array.from(a.u)).toEqual(Array.from(b.u));
    for (let i = 0; i < 4; i++) expect(rel(d.sigma[i], a.sigma[i])).toBeLessThan(1e-9);
  });

  it('energy rank: smallest r reaching q, null beyond the computed spectrum, 0 for a zero matrix', async () => {
    expect(energyRank([3, 1], 10, 0.9)).toBe(1);
    expect(energyRank([3, 1], 10, 0.95)).toBe(2);
    expect(energyRank([3, 1], 20, 0.9)).toBeNull();
    expect(energyRank([], 0, 0.9)).toBe(0);
  });

  it('a zero matrix: σ = 0, no stable rank, energy ranks 0', async () => {
    const z = await spectralSummary({ rows: 60, cols: 50, data: new Float64Array(3000) }, { k: 4 });
    expect(z.summary.sigma).toEqual([0, 0, 0, 0]);
    expect(z.summary.stableRank).toBeNull();
    expect(z.summary.energyRank90).toBe(0);
    // No singular subspace, so no overlap with any other matrix's (not a reading of 0 = orthogonal).
    const other = await spectralSummary({ rows: 60, cols: 50, data: Float64Array.from({ length: 3000 }, (_, i) => Math.sin(i * i * 0.37 + i)) }, { k: 4 });
    expect(subspaceOverlap(z.svd, other.svd, 4)).toBeNull();
    expect(subspaceOverlap(other.svd, z.svd, 4)).toBeNull();
    expect(subspaceOverlap(other.svd, other.svd, 4)).toBeCloseTo(1, 12);
  });

  it('overlap counts only the directions a matrix has: two rank-3 updates on one column space overlap fully at k = 8', async () => {
    // M = U·Cᵀ with U 60×3 fixed and C 50×3 different per matrix: the same 3-dimensional column space.
    const u = gaussian(11, 60 * 3);
    const rank3 = (seed: number) => {
      const c = gaussian(seed, 50 * 3);
      const data = new Float64Array(60 * 50);
      for (let i = 0; i < 60; i++) for (let j = 0; j < 50; j++) for (let t = 0; t < 3; t++) data[i * 50 + j] += u[i * 3 + t] * c[j * 3 + t];
      return { rows: 60, cols: 50, data };
    };
    const [a, b] = await Promise.all([topSvd(rank3(1), { k: 8 }), topSvd(rank3(2), { k: 8 })]);
    expect(subspaceOverlap(a, b, 8)).toBeCloseTo(1, 9);
    // Against a full-rank matrix: the share of the 3 directions inside its leading 3 (≤ 1), not diluted by 8.
    const full = await topSvd({ rows: 60, cols: 50, data: gaussian(7, 3000) }, { k: 8 });
    expect([a.sigma.filter((x) => x > 0).length, full.sigma.filter((x) => x > 1e-6).length]).toEqual([3, 8]);
    const direct = (() => {
      let s = 0;
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) {
        let d = 0;
        for (let i = 0; i < 60; i++) d += a.u[i * a.sigma.length + p] * full.u[i * full.sigma.length + q];
        s += d * d;
      }
      return s / 3;
    })();
    expect(subspaceOverlap(a, full, 8)).toBeCloseTo(direct, 12);
    expect(frobeniusSq({ rows: 1, cols: 2, data: Float64Array.from([3, 4]) })).toBe(25);
  });

  it('rank-deficient randomised input: exact rank-2 matrix gives two singular values and zeros after', async () => {
    const rows = 80, cols = 60;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = 3 * Math.sin(i + 1) * Math.cos(j) + Math.cos(2 * i) * Math.sin(3 * j + 1);
    const s = await topSvd({ rows, cols, data }, { k: 8 });
    expect(s.exact).toBe(false);
    expect(s.sigma[1]).toBeGreaterThan(1);
    for (let i = 2; i < 8; i++) expect(s.sigma[i]).toBeLessThan(1e-9 * s.sigma[0]);
  });
});
