/**
 * The float64 CPU backend of the randomised SVD (src/compute/linalg/cpu-linalg.ts) against the
 * independent textbook reference (gemm.ref.ts), and the shared orthonormalisation (SVQB twice,
 * src/analysis/randomized-svd.ts) on it: orthonormal columns, the panel reconstructed from them, and
 * a rank-deficient panel giving exactly as many non-zero columns as its rank.
 */
import { describe, expect, it } from 'vitest';
import { CpuLinalg } from '../../../src/compute/linalg/cpu-linalg';
import { gemmRef, orthoReport } from '../../../src/compute/linalg/gemm.ref';
import { orthonormalise, randomizedSvd } from '../../../src/analysis/randomized-svd';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { linalgFor } from '../../../src/compute/linalg/linalg';
import { gaussian } from '../../../src/analysis/rng';

const f64Bytes = (x: Float64Array) => new Uint8Array(Float32Array.from(x).buffer);
const f32 = (x: Float64Array) => Float64Array.from(Float32Array.from(x));

describe('linalg: the float64 CPU backend', () => {
  it('M·X and Mᵀ·X equal the textbook float64 product', async () => {
    const rows = 37, cols = 23, l = 5;
    const m = f32(gaussian(1, rows * cols));
    const cpu = new CpuLinalg({ rows, cols, data: m });
    const x = f32(gaussian(2, cols * l)), y = f32(gaussian(3, rows * l));
    const mx = await cpu.read(await cpu.mul(await cpu.panel(x, cols, l)));
    const mty = await cpu.read(await cpu.mulT(await cpu.panel(y, rows, l)));
    const r1 = gemmRef('F32', f64Bytes(m), rows, cols, false, x, l);
    const r2 = gemmRef('F32', f64Bytes(m), rows, cols, true, y, l);
    mx.forEach((v, i) => expect(Math.abs(v - r1.c[i])).toBeLessThanOrEqual(1e-15 * r1.abs[i]));
    mty.forEach((v, i) => expect(Math.abs(v - r2.c[i])).toBeLessThanOrEqual(1e-15 * r2.abs[i]));
  });

  it('orthonormalise: orthonormal columns spanning the panel, also with singular values spread over 4 decades', async () => {
    const r = 120, l = 14;
    const y = gaussian(4, r * l);
    // scale hidden directions: Y = G·diag(10^-j/3)·H mixes them so every column is dominated by the largest
    const h = gaussian(5, l * l);
    const scaled = new Float64Array(r * l);
    for (let i = 0; i < r; i++) for (let c = 0; c < l; c++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += y[i * l + a] * 10 ** (-a / 3) * h[a * l + c];
      scaled[i * l + c] = s;
    }
    const cpu = new CpuLinalg({ rows: 1, cols: 1, data: new Float64Array(1) });
    const q = await cpu.read(await orthonormalise(cpu, await cpu.panel(scaled.slice(), r, l)));
    const rep = orthoReport(q, scaled, r, l);
    expect(rep.live).toBe(l);
    expect(rep.ortho).toBeLessThan(1e-13);
    expect(rep.recon).toBeLessThan(1e-13);
  });

  it('orthonormalise: a rank-3 panel keeps 3 orthonormal columns and zeros', async () => {
    const r = 60, l = 10;
    const a = gaussian(6, r * 3), b = gaussian(7, 3 * l);
    const y = new Float64Array(r * l);
    for (let i = 0; i < r; i++) for (let c = 0; c < l; c++) for (let t = 0; t < 3; t++) y[i * l + c] += a[i * 3 + t] * b[t * l + c];
    const cpu = new CpuLinalg({ rows: 1, cols: 1, data: new Float64Array(1) });
    const q = await cpu.read(await orthonormalise(cpu, await cpu.panel(y.slice(), r, l)));
    const rep = orthoReport(q, y, r, l);
    expect(rep.live).toBe(3);
    expect(rep.ortho).toBeLessThan(1e-13);
    expect(rep.recon).toBeLessThan(1e-13);
  });

  it('registration: no engine or the CPU engine gets the float64 backend; an aborted signal stops the SVD', async () => {
    const m = { rows: 40, cols: 30, data: gaussian(8, 1200) };
    expect(await linalgFor(m)).toBeInstanceOf(CpuLinalg);
    expect(await linalgFor(m, new CpuEngine())).toBeInstanceOf(CpuLinalg);
    const ctl = new AbortController();
    ctl.abort();
    await expect(randomizedSvd(new CpuLinalg(m), { k: 4, signal: ctl.signal })).rejects.toThrow();
    expect((await randomizedSvd(new CpuLinalg(m), { k: 4 })).sigma.length).toBe(4);
  });
});
