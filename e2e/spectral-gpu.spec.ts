/**
 * The randomised SVD's WGSL kernels (src/compute/linalg/) in real Chromium WebGPU (SwiftShader here),
 * against float64 references computed in the page and torch's float64 SVD
 * (tests/fixtures/make_spectral_golden.py):
 * - GEMM (M·X, Mᵀ·X, on F32/BF16/F16 matrices, whole and in row blocks; the Gram matrix as pairs)
 *   against the textbook float64 product of the same inputs (gemm.ref.ts). Bound, per element, with
 *   S = Σ|a·x|: M·X within 2^-24·|c| + 2^-40·S (the exact sum rounded once to f32); Mᵀ·X over B row
 *   blocks within 2^-24·|c| + (B − 1)·2^-24·S + 2^-40·S (one rounding per block); Gram pairs within 2^-40·S.
 * - QR (SVQB twice): ‖QᵀQ − I‖_max ≤ 1e-5 and ‖Y − Q·QᵀY‖_F/‖Y‖_F ≤ 1e-5 on a panel whose singular
 *   values spread over 4 decades; a rank-5 panel keeps exactly 5 non-zero columns.
 * - The whole randomised SVD on the golden matrices (F32 words, and BF16 words for the bf16 golden):
 *   σᵢ within 1e-3 relative of torch above twice the noise floor σ_{k+11} (3e-2 in the flat tail at the
 *   floor, as the CPU twin's tests), energy ranks equal; within 1e-5 of the CPU twin with the same seed
 *   (above the floor); bit-identical when repeated; spectralSummary with a WebGPU engine equal to it;
 *   subspace overlaps of the GPU's singular vectors within 1e-3 of torch's (as the CPU twin's tests).
 * - The spectral pass (run-spectral.ts) with a WebGPU engine on the demo family against the CPU pass:
 *   σ within 1e-5 of σ₁, energy ranks equal, overlaps γ–Δ within 1e-6.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, type Page } from '@playwright/test';

const golden = JSON.parse(readFileSync(join(import.meta.dirname, '../tests/fixtures/spectral/golden.json'), 'utf8'));

async function open(page: Page): Promise<void> {
  await page.goto('/harness.html');
  await page.waitForFunction(() => (globalThis as any).harnessReady === true);
  await page.evaluate(() => {
    const h = (globalThis as any).harness;
    const encode = (d: string, vals: ArrayLike<number>): Uint8Array => {
      if (d === 'F32') return new Uint8Array(Float32Array.from(vals).buffer);
      const u = new Uint16Array(vals.length);
      for (let i = 0; i < vals.length; i++) u[i] = d === 'F16' ? h.dtype.f32ToF16Bits(vals[i]) : h.dtype.f32ToBf16Bits(vals[i]);
      return new Uint8Array(u.buffer);
    };
    const size = (d: string) => (d === 'F32' ? 4 : 2);
    const packed = (d: string, bytes: Uint8Array, rows: number, cols: number) => ({
      rows, cols, dtype: d, readRows: (f: number, c: number) => bytes.slice(f * cols * size(d), (f + c) * cols * size(d)),
    });
    (globalThis as any).svd = { S: h.spectral, encode, packed };
  });
  await page.evaluate(async () => {
    (globalThis as any).svd.eng = await (globalThis as any).harness.compute.WebGpuEngine.create();
  });
}

test.describe('randomised SVD on WebGPU (SwiftShader: correctness only, never speed)', () => {
  test('GEMM: M·X, Mᵀ·X and Gram pairs against the float64 textbook product', async ({ page }) => {
    await open(page);
    const out = await page.evaluate(async () => {
      const { S, encode, packed, eng } = (globalThis as any).svd;
      const report: string[] = [`twoProd ${eng.twoProd}`];
      const fails: string[] = [];
      const rows = 150, cols = 67, l = 21;
      const fx = (x: Float64Array) => Float64Array.from(Float32Array.from(x));
      for (const d of ['F32', 'BF16', 'F16']) {
        const vals = S.gaussian(11, rows * cols).map((v: number) => v * 0.01);
        const bytes = encode(d, vals);
        for (const blockRows of [undefined, 40]) {
          const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, packed(d, bytes, rows, cols), { blockRows });
          const blocks = blockRows ? Math.ceil(rows / blockRows) : 1;
          const x = fx(S.gaussian(12, cols * l)), y = fx(S.gaussian(13, rows * l));
          const mx = await gl.read(await gl.mul(await gl.panel(x, cols, l)));
          const mty = await gl.read(await gl.mulT(await gl.panel(y, rows, l)));
          const r1 = S.gemmRef(d, bytes, rows, cols, false, x, l);
          const r2 = S.gemmRef(d, bytes, rows, cols, true, y, l);
          let w1 = 0, w2 = 0;
          mx.forEach((v: number, i: number) => { w1 = Math.max(w1, Math.abs(v - r1.c[i]) / (2 ** -24 * Math.abs(r1.c[i]) + 2 ** -40 * r1.abs[i])); });
          mty.forEach((v: number, i: number) => { w2 = Math.max(w2, Math.abs(v - r2.c[i]) / (2 ** -24 * Math.abs(r2.c[i]) + ((blocks - 1) * 2 ** -24 + 2 ** -40) * r2.abs[i])); });
          report.push(`${d} blocks ${blocks}: M·X worst ${w1.toFixed(3)} of bound, Mᵀ·X ${w2.toFixed(3)}`);
          if (!(w1 <= 1) || !(w2 <= 1)) fails.push(`${d} blocks ${blocks}: ${w1} ${w2}`);
          gl.dispose();
        }
      }
      // Gram pairs of an f32 panel (r × l) against float64 PᵀP.
      const r = 300;
      const p = fx(S.gaussian(14, r * l));
      const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, packed('F32', encode('F32', p), r, l));
      const g = await gl.gram(await gl.panel(p, r, l));
      const ref = S.gemmRef('F32', encode('F32', p), r, l, true, p, l);
      let wg = 0;
      g.forEach((v: number, i: number) => { wg = Math.max(wg, Math.abs(v - ref.c[i]) / (2 ** -40 * ref.abs[i])); });
      report.push(`Gram pairs worst ${wg.toFixed(4)} of 2^-40·Σ|p·p|`);
      if (!(wg <= 1)) fails.push(`gram ${wg}`);
      gl.dispose();
      eng.dispose();
      return { report, fails };
    });
    console.log(out.report.join('\n'));
    expect(out.fails).toEqual([]);
  });

  test('QR (SVQB twice): orthonormal columns, the panel reconstructed, rank deficiency as zero columns', async ({ page }) => {
    await open(page);
    const out = await page.evaluate(async () => {
      const { S, encode, packed, eng } = (globalThis as any).svd;
      const r = 300, l = 22;
      const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, packed('F32', encode('F32', [0]), 1, 1));
      const panel = (rank: number, decades: number, seed: number) => {
        const a = S.gaussian(seed, r * rank), b = S.gaussian(seed + 1, rank * l);
        const y = new Float64Array(r * l);
        for (let i = 0; i < r; i++) for (let c = 0; c < l; c++) {
          let s = 0;
          for (let t = 0; t < rank; t++) s += a[i * rank + t] * 10 ** (-decades * t / Math.max(1, rank - 1)) * b[t * l + c];
          y[i * l + c] = s;
        }
        return Float64Array.from(Float32Array.from(y));
      };
      const res: Record<string, unknown> = {};
      for (const [name, y] of [['spread', panel(l, 4, 21)], ['rank5', panel(5, 1, 23)]] as const) {
        const q = await gl.read(await S.orthonormalise(gl, await gl.panel(y, r, l)));
        res[name] = S.orthoReport(q, y, r, l);
      }
      gl.dispose();
      eng.dispose();
      return res;
    });
    console.log(JSON.stringify(out));
    const spread = out.spread as { ortho: number; live: number; recon: number };
    const rank5 = out.rank5 as { ortho: number; live: number; recon: number };
    expect(spread.live).toBe(22);
    expect(spread.ortho).toBeLessThanOrEqual(1e-5);
    expect(spread.recon).toBeLessThanOrEqual(1e-5);
    expect(rank5.live).toBe(5);
    expect(rank5.ortho).toBeLessThanOrEqual(1e-5);
    expect(rank5.recon).toBeLessThanOrEqual(1e-5);
  });

  test('the whole randomised SVD: σ within 1e-3 of torch, energy ranks equal, F32 and BF16 words', async ({ page }) => {
    await open(page);
    const out = await page.evaluate(async (golden: any) => {
      const { S, encode, packed, eng } = (globalThis as any).svd;
      const fails: string[] = [];
      const report: string[] = [];
      const seed = 7;
      const runs: [string, string, number | undefined][] = [];
      for (const [name, c] of Object.entries<any>(golden.cases)) {
        const rows = c.shape[0], cols = c.values.length / rows;
        if (Math.min(rows, cols) <= c.k + 10) continue; // exact SVD on the CPU: nothing runs on the GPU
        runs.push([name, 'F32', undefined], [name, 'F32', 50]);
        if (name.endsWith('bf16')) runs.push([name, 'BF16', undefined], [name, 'BF16', 50]);
      }
      for (const [name, d, blockRows] of runs) {
        const c = golden.cases[name];
        const rows = c.shape[0], cols = c.values.length / rows;
        const opts = { k: c.k, seed };
        const bytes = encode(d, c.values);
        const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, packed(d, bytes, rows, cols), { blockRows });
        const g = await S.randomizedSvd(gl, opts);
        const again = await S.randomizedSvd(gl, opts);
        gl.dispose();
        const cpu = await S.randomizedSvd(new S.CpuLinalg({ rows, cols, data: Float64Array.from(c.values) }), opts);
        const tag = `${name} ${d}${blockRows ? ` blocks of ${blockRows} rows` : ''}`;
        const floor = c.sigma[Math.min(c.k + 10, c.sigma.length - 1)];
        let worstTop = 0, worstTail = 0, worstTwin = 0;
        for (let i = 0; i < c.k; i++) {
          const rel = Math.abs(g.sigma[i] - c.sigma[i]) / c.sigma[i];
          if (c.sigma[i] >= 2 * floor) {
            worstTop = Math.max(worstTop, rel);
            worstTwin = Math.max(worstTwin, Math.abs(g.sigma[i] - cpu.sigma[i]) / cpu.sigma[i]);
          } else worstTail = Math.max(worstTail, rel);
        }
        if (!(worstTop <= 1e-3) || !(worstTail <= 3e-2)) fails.push(`${tag}: σ off torch by ${worstTop} (tail ${worstTail})`);
        if (!(worstTwin <= 1e-5)) fails.push(`${tag}: σ off the CPU twin by ${worstTwin}`);
        if (Array.from(g.sigma).join() !== Array.from(again.sigma).join()) fails.push(`${tag}: not deterministic`);
        for (const [q, want] of Object.entries<number>(c.energyRank)) {
          const got = S.energyRank(g.sigma, c.frobeniusSq, Number(q));
          const expected = want <= c.k ? want : null;
          if (got !== expected) fails.push(`${tag}: energy rank at ${q} ${got}, torch ${expected}`);
        }
        report.push(`${tag}: σ rel. error ≤ ${worstTop.toExponential(2)} above 2·floor (tail ${worstTail.toExponential(2)}), vs CPU twin ${worstTwin.toExponential(2)}`);
      }
      // Subspace overlaps of the GPU's left singular vectors (Q·V, V from the CPU's small SVD) against torch.
      for (const p of golden.overlaps) {
        const svdOf = async (name: string, s: number) => {
          const c = golden.cases[name];
          const rows = c.shape[0], cols = c.values.length / rows;
          const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, packed('F32', encode('F32', c.values), rows, cols));
          const r = await S.randomizedSvd(gl, { k: c.k, seed: s });
          gl.dispose();
          return r;
        };
        const o = S.subspaceOverlap(await svdOf(p.a, 1), await svdOf(p.b, 2), p.k);
        report.push(`overlap ${p.a} vs ${p.b}, k = ${p.k}: ${o.toFixed(6)} (torch ${p.overlap.toFixed(6)})`);
        if (!(Math.abs(o - p.overlap) < 1e-3)) fails.push(`overlap ${p.a} vs ${p.b}, k = ${p.k}: ${o}, torch ${p.overlap}`);
      }
      // The registration: spectralSummary with a WebGPU engine runs the same kernels on F32 words.
      const c = golden.cases['gamma-lowrank-bf16'];
      const rows = c.shape[0], cols = c.values.length / rows;
      const m = { rows, cols, data: Float64Array.from(c.values) };
      const viaEngine = await S.spectralSummary(m, { k: c.k, seed }, eng);
      const gl = await S.WebGpuLinalg.create(eng.device, eng.twoProd, S.f32Matrix(m));
      const direct = await S.randomizedSvd(gl, { k: c.k, seed });
      gl.dispose();
      if (viaEngine.summary.sigma.join() !== Array.from(direct.sigma).join()) fails.push('spectralSummary(…, engine) differs from the WebGPU backend run directly');
      eng.dispose();
      return { report, fails };
    }, golden);
    console.log(out.report.join('\n'));
    expect(out.fails).toEqual([]);
  });
});

/** Every EVERY-th matrix of the demo: all its shapes (64×64 … 512×64, 56×128), a minute less on SwiftShader. */
const EVERY = 5;

test('the spectral pass with a WebGPU engine equals the CPU pass on the demo family (σ, energy ranks, overlaps)', async ({ page }) => {
  await open(page);
  const out = await page.evaluate(async (EVERY: number) => {
    const { S } = (globalThis as any).svd;
    const t0 = performance.now();
    const gpu = await S.demoSpectra('webgpu', 32, EVERY);
    const t1 = performance.now();
    const cpu = await S.demoSpectra('cpu', 32, EVERY);
    const ms = [t1 - t0, performance.now() - t1].map(Math.round);
    const fails: string[] = [];
    let randomised = 0, worstSigma = 0, worstOverlap = 0;
    if (gpu.map((t: any) => t.name).join() !== cpu.map((t: any) => t.name).join()) fails.push('tensor lists differ');
    gpu.forEach((g: any, i: number) => {
      const c = cpu[i];
      if (!c) return;
      if (!c.gamma.exact) randomised++;
      g.gamma.sigma.forEach((s: number, q: number) => { worstSigma = Math.max(worstSigma, Math.abs(s - c.gamma.sigma[q]) / c.gamma.sigma1); });
      for (const f of ['energyRank90', 'energyRank95', 'energyRank99', 'exact']) if (g.gamma[f] !== c.gamma[f]) fails.push(`${g.name}: ${f} ${g.gamma[f]} vs ${c.gamma[f]}`);
      worstOverlap = Math.max(worstOverlap, Math.abs(g.overlapGammaDelta - c.overlapGammaDelta));
    });
    return { fails, tensors: gpu.length, randomised, worstSigma, worstOverlap, ms };
  }, EVERY);
  console.log(`demo: ${out.tensors} matrices, ${out.randomised} through the randomised SVD; σ within ${out.worstSigma.toExponential(2)} of σ₁, overlaps within ${out.worstOverlap.toExponential(2)} of the CPU pass (SwiftShader ${out.ms[0]} ms, CPU ${out.ms[1]} ms)`);
  expect(out.fails).toEqual([]);
  expect(out.randomised).toBeGreaterThan(0);
  expect(out.worstSigma).toBeLessThanOrEqual(1e-5);
  expect(out.worstOverlap).toBeLessThanOrEqual(1e-6);
});
