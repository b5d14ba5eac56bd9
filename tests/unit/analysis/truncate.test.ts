/**
 * θ_meta with γ truncated to rank r (src/analysis/truncate.ts, fed by runSpectral's pair projections)
 * against torch: tests/fixtures/make_spectral_golden.py forms γ_r = U_rΣ_rV_rᵀ of a low-rank-plus-noise γ
 * in float64 and measures ‖α·γ_r‖, ‖D − α·γ_r‖ and cos(γ_r, D − α·γ_r). A bias in the same layer is
 * not a matrix and must count whole (its sums are added here in float64).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGrids } from '../../../src/analysis/aggregate';
import { METRIC_BY_ID } from '../../../src/analysis/metrics';
import { capvectorPlan } from '../../../src/analysis/plan';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { gaussian } from '../../../src/analysis/spectral';
import { truncatedLayerParts, type Truncation } from '../../../src/analysis/truncate';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { openPaths } from '../../../src/node/paths';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';

interface Golden {
  cases: Record<string, { shape: number[]; values: number[] }>;
  truncation: { gamma: string; down: number[]; alpha: number; ranks: Record<string, { gammaSq: number; downDotGamma: number; metaShift: number; normDelta: number; cosGammaDelta: number }> };
}
const golden = JSON.parse(readFileSync(join(__dirname, '../../fixtures/spectral/golden.json'), 'utf8')) as Golden;
const tmp = mkdtempSync(join(tmpdir(), 'capvector-truncate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const W = 'model.layers.0.mlp.up_proj.weight';
const B = 'model.layers.0.mlp.up_proj.bias';
const f32 = (x: number[]) => Array.from(Float32Array.from(x));

/** θ_pre = θ_sft = 0, θ_aux = γ, θ_down = D: the weight from the golden, a bias of 72 made here. */
function writeFamily() {
  const g = golden.cases[golden.truncation.gamma];
  const bias = { gamma: f32(Array.from(gaussian(3, 72), (x) => 0.5 * x)), down: f32(Array.from(gaussian(4, 72), (x) => 0.7 * x)) };
  const values: Record<string, [number[], number[]]> = {
    pre: [g.values.map(() => 0), bias.gamma.map(() => 0)],
    sft: [g.values.map(() => 0), bias.gamma.map(() => 0)],
    aux: [g.values, bias.gamma],
    down: [golden.truncation.down, bias.down],
  };
  const paths: Record<string, string> = {};
  for (const [role, [w, b]] of Object.entries(values)) {
    const header = {
      [W]: { dtype: 'F32', shape: g.shape, data_offsets: [0, w.length * 4] },
      [B]: { dtype: 'F32', shape: [72], data_offsets: [w.length * 4, (w.length + 72) * 4] },
    };
    paths[role] = join(tmp, `${role}.safetensors`);
    writeFileSync(paths[role], buildSafetensors(header, f32Bytes([...w, ...b])));
  }
  return { paths, bias };
}

async function analyse(k: number) {
  const { paths, bias } = writeFamily();
  const [pre, aux, sft, down] = await openPaths([paths.pre, paths.aux, paths.sft, paths.down]);
  const plan = capvectorPlan({ down: true });
  const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
  const tensors: TensorStats[] = [];
  await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => tensors.push(t) });
  const spectra = new Map<string, TensorSpectral[]>();
  await runSpectral({ plan, tasks, k, alpha: () => 0.3, gammaProjections: true, onTensor: (s) => spectra.set(s.name, [s]) });
  return { plan, tensors, spectra, grid: buildGrids(plan, tensors)[0], bias };
}

describe('α preview with γ truncated to rank r, against torch', () => {
  for (const [k, tol] of [[64, 1e-6], [16, 1e-5]] as const) {
    it(`k = ${k} (${k === 64 ? 'exact' : 'randomised'} SVD): ‖α·γ_r‖, ‖Δ_r‖ and cos(γ_r, Δ_r) for r = 1, 3, 6 (the bias whole)`, async () => {
      const { plan, tensors, spectra, grid, bias } = await analyse(k);
      expect(spectra.size).toBe(1);
      expect(spectra.get(W)![0].downDotPairs!.length).toBe(k === 64 ? 56 : 16);
      const a = golden.truncation.alpha;
      const dd = golden.truncation.down.reduce((s, x) => s + Math.fround(x) ** 2, 0);
      const bgg = bias.gamma.reduce((s, x) => s + x * x, 0);
      const bdd = bias.down.reduce((s, x) => s + x * x, 0);
      const bgd = bias.gamma.reduce((s, x, i) => s + x * bias.down[i], 0);
      for (const r of [1, 3, 6]) {
        const want = golden.truncation.ranks[String(r)];
        const gg = want.gammaSq + bgg;
        const gd = want.downDotGamma + bgd;
        const nd = Math.sqrt(dd + bdd - 2 * a * gd + a * a * gg);
        const count: Truncation = { missing: 0, clipped: 0 };
        const part = truncatedLayerParts(plan, grid, tensors, spectra, r, { global: a, perLayer: {} }, count).get(0)!;
        expect(count).toEqual({ missing: 0, clipped: 0 });
        const got = (id: string) => METRIC_BY_ID[id].value(plan, [part]);
        expect(Math.abs(got('metaShift') / (a * Math.sqrt(gg)) - 1), `r=${r} metaShift`).toBeLessThan(tol);
        expect(Math.abs(got('normDelta') / nd - 1), `r=${r} normDelta`).toBeLessThan(tol);
        expect(Math.abs(got('cosGammaDelta') - (gd - a * gg) / (Math.sqrt(gg) * nd)), `r=${r} cos`).toBeLessThan(tol);
      }
    });
  }

  it('without a spectrum a matrix counts whole (and is counted); rank beyond k is clipped and counted', async () => {
    const { plan, tensors, spectra, grid } = await analyse(4);
    const whole = (id: string) => METRIC_BY_ID[id].value(plan, [{ acc: grid.layers.get(0)!, alpha: 0.8 }]);
    const count: Truncation = { missing: 0, clipped: 0 };
    const none = truncatedLayerParts(plan, grid, tensors, new Map(), 3, { global: 0.8, perLayer: {} }, count).get(0)!;
    expect(count.missing).toBe(1);
    for (const id of ['metaShift', 'normDelta', 'cosGammaDelta']) expect(METRIC_BY_ID[id].value(plan, [none])).toBe(whole(id));
    const c2: Truncation = { missing: 0, clipped: 0 };
    truncatedLayerParts(plan, grid, tensors, spectra, 5, { global: 0.8, perLayer: {} }, c2);
    expect(c2.clipped).toBe(1);
  });
});
