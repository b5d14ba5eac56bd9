/**
 * The app's low-rank view on the built-in demo: the spectral heatmap grid and the spectra table equal
 * `capvector stats --by tensor --spectral --json` per matrix (the same pass, run here with the app's
 * extra options: τ overlap and pair projections must not change γ's numbers), and the τ_aux–τ_sft
 * overlap equals one computed here from whole tensors.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphaFor, buildGrids } from '../../../src/analysis/aggregate';
import { capvectorPlan } from '../../../src/analysis/plan';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { matrixShape, spectralSummary, subspaceOverlap, topSvd } from '../../../src/analysis/spectral';
import { ENERGY_QS, spectralGridValues, spectralTable, cumulativeEnergy } from '../../../src/analysis/spectral-grid';
import { main } from '../../../src/cli/main';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { readTensorF32, type Checkpoint } from '../../../src/formats/checkpoint';
import { openPaths } from '../../../src/node/paths';

const DEMO = join(__dirname, '../../../public/demo');
const P = { pre: join(DEMO, 'pre.safetensors'), aux: join(DEMO, 'aux'), sft: join(DEMO, 'sft.safetensors'), down: join(DEMO, 'down.safetensors') };
type Row = Record<string, unknown> & { name: string };

async function cliRows(): Promise<Map<string, Row>> {
  const out: string[] = [];
  const code = await main(['stats', '--pre', P.pre, '--aux', P.aux, '--sft', P.sft, '--down', P.down, '--by', 'tensor', '--spectral', '--json'], { out: (l) => out.push(l), err: () => {} });
  expect(code).toBe(0);
  return new Map((JSON.parse(out.join('\n')).rows as Row[]).filter((r) => 'sigma' in r).map((r) => [r.name, r]));
}

async function appPass() {
  const [pre, aux, sft, down] = await openPaths([P.pre, P.aux, P.sft, P.down]);
  const byRole: Record<string, Checkpoint> = { pre, aux, sft, down };
  const plan = capvectorPlan({ down: true });
  const { tasks } = planStatsTasks(plan, byRole);
  const tensors: TensorStats[] = [];
  await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => tensors.push(t) });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const spectra = new Map<string, TensorSpectral[]>();
  const alpha = { global: 0.8, perLayer: {} };
  const progress: number[] = [];
  await runSpectral({
    plan, tasks, k: 32, seed: 0, tauOverlap: true, gammaProjections: true, onTensor: (s) => spectra.set(s.name, [...(spectra.get(s.name) ?? []), s]), onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal),
    alpha: (n) => alphaFor(alpha, byName.get(n)!.group, byName.get(n)!.key.block),
  });
  return { plan, byRole, tensors, spectra, progress };
}

const rank = (r: unknown) => (r === null ? '>32' : r);

describe('the low-rank view of the demo equals capvector stats --spectral', async () => {
  const [cli, app] = await Promise.all([cliRows(), appPass()]);

  it('spectra table (the CSV/JSON export): every matrix, every field, full precision', () => {
    const t = spectralTable(app.tensors, app.spectra, 32);
    expect(t.rows.length).toBe(cli.size);
    expect(cli.size).toBe(app.tensors.filter((x) => matrixShape(x.shape)).length);
    const col = (n: string) => t.columns.indexOf(n);
    for (const r of t.rows) {
      const c = cli.get(r[0] as string)!;
      expect(c, r[0] as string).toBeDefined();
      expect((r[col('sigma')] as string).split(' ').map(Number)).toEqual(c.sigma);
      expect(r[col('sigma1')]).toBe((c.sigma as number[])[0]);
      expect(r[col('stableRank')]).toBe(c.stableRank);
      for (const q of ['90', '95', '99']) expect(r[col(`energyRank${q}`)]).toBe(rank(c[`energyRank${q}`]));
      expect(r[col('overlapGammaDelta')]).toBe(c.overlapGammaDelta);
      expect(r[col('overlapTauAuxTauSft')]).toEqual(expect.any(Number));
    }
    expect(app.progress.at(-1)).toBe(1);
    expect(app.progress.every((p, i) => i === 0 || p >= app.progress[i - 1])).toBe(true);
  });

  it('heatmap grid: each cell with one matrix shows its stable rank, energy rank at each q ("> k" marked) and overlap', () => {
    const grids = buildGrids(app.plan, app.tensors);
    let cells = 0, beyond = 0;
    for (const g of grids) {
      const sr = spectralGridValues(g, app.tensors, app.spectra, 'stableRank', 0.95);
      const ov = spectralGridValues(g, app.tensors, app.spectra, 'overlapGammaDelta', 0.95);
      const er = ENERGY_QS.map((q) => spectralGridValues(g, app.tensors, app.spectra, 'energyRank', q));
      sr.cells.forEach((cell, k) => {
        const mats = g.cells.get(`${g.blocks[Math.floor(k / g.modules.length)] ?? '-'}|${g.modules[k % g.modules.length]}`)?.tensors.map((i) => app.tensors[i]).filter((t) => matrixShape(t.shape)) ?? [];
        expect(sr.present[k], `${g.group} cell ${k}`).toBe(mats.length > 0 ? 1 : 0);
        if (!cell || mats.length !== 1) return;
        cells++;
        const c = cli.get(mats[0].name)!;
        expect(sr.values[k]).toBe(c.stableRank);
        expect(ov.values[k]).toBe(c.overlapGammaDelta);
        (['energyRank90', 'energyRank95', 'energyRank99'] as const).forEach((f, qi) => {
          if (c[f] === null) {
            beyond++;
            expect(er[qi].beyond[k]).toBe(1);
          } else {
            expect(er[qi].beyond[k]).toBe(0);
            expect(er[qi].values[k]).toBe(c[f]);
          }
        });
      });
    }
    expect(cells).toBe(cli.size);
    expect(beyond, 'some energy rank at 0.99 lies beyond k = 32 on the demo').toBeGreaterThan(0);
  });

  it('τ_aux–τ_sft overlap and the spectra of Δ, τ_aux, τ_sft equal those computed from whole tensors; cumulative energy ends at Σσ²/‖γ‖²', async () => {
    for (const name of ['language_model.model.layers.4.self_attn.q_proj.weight', 'vision_backbone.featurizer.patch_embed.proj.weight']) {
      const [rows, cols] = matrixShape(app.byRole.pre.tensors.find((t) => t.name === name)!.shape)!;
      const read = async (r: string) => Float64Array.from(await readTensorF32(app.byRole[r].tensors.find((t) => t.name === name)!));
      const [pre, aux, sft, down] = await Promise.all(['pre', 'aux', 'sft', 'down'].map(read));
      const svd = (x: Float64Array) => topSvd({ rows, cols, data: x }, { k: 32, seed: 0 });
      const want = subspaceOverlap(await svd(aux.map((v, i) => v - pre[i])), await svd(sft.map((v, i) => v - pre[i])), 32);
      expect(app.spectra.get(name)!.length).toBe(1);
      const s = app.spectra.get(name)![0];
      expect(Math.abs(s.overlapTauAuxTauSft! - want!)).toBeLessThan(1e-12);
      const summary = async (x: Float64Array) => (await spectralSummary({ rows, cols, data: x }, { k: 32, seed: 0 })).summary;
      const wants = {
        delta: await summary(down.map((v, i) => v - pre[i] - 0.8 * (aux[i] - sft[i]))),
        tauAux: await summary(aux.map((v, i) => v - pre[i])),
        tauSft: await summary(sft.map((v, i) => v - pre[i])),
      };
      for (const [v, w] of Object.entries(wants)) {
        const got = s[v as keyof typeof wants]!;
        got.sigma.forEach((x, i) => expect(Math.abs(x - w.sigma[i]), `${v} σ${i + 1}`).toBeLessThanOrEqual(1e-12 * w.sigma1));
        expect([got.energyRank90, got.energyRank95, got.energyRank99]).toEqual([w.energyRank90, w.energyRank95, w.energyRank99]);
        expect(Math.abs(got.stableRank! / w.stableRank! - 1)).toBeLessThan(1e-12);
        const grid = buildGrids(app.plan, app.tensors).find((g) => g.group === app.tensors.find((t) => t.name === name)!.group)!;
        const gv = spectralGridValues(grid, app.tensors, app.spectra, 'stableRank', 0.9, v as keyof typeof wants);
        expect(gv.values.filter((_, k) => gv.cells[k]?.tensors.some((i) => app.tensors[i].name === name))).toEqual(Float64Array.from([got.stableRank!]));
      }
      const g = app.spectra.get(name)![0].gamma;
      const e = cumulativeEnergy(g.sigma, g.frobeniusSq);
      expect(e.at(-1)).toBeCloseTo(g.sigma.reduce((s, x) => s + x * x, 0) / g.frobeniusSq, 14);
      expect(e.every((x, i) => i === 0 || x >= e[i - 1])).toBe(true);
    }
  });
});
