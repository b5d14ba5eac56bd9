/**
 * The α preview's truncated parts (src/analysis/truncate.ts) for a scanned stack (all layers on axis 0,
 * src/model/stacked.ts): the grid shows each layer in its own row, so each row's part must hold that
 * layer's slice alone — truncated with that layer's spectrum — not the whole tensor once per row. With
 * the full spectrum (r ≥ the slices' rank) the truncated sums are the untruncated ones, and those come
 * from the statistics pass's own per-layer float64 sums (an independent path: no SVD involved).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGrids } from '../../../src/analysis/aggregate';
import { capvectorPlan, pairIndex, vectorIndex } from '../../../src/analysis/plan';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { spectraAt, spectralGridValues } from '../../../src/analysis/spectral-grid';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { gaussian, subspaceOverlap, topSvd } from '../../../src/analysis/spectral';
import { truncatedLayerParts, type Truncation } from '../../../src/analysis/truncate';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { openPaths } from '../../../src/node/paths';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';

const tmp = mkdtempSync(join(tmpdir(), 'capvector-truncate-stacked-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NAME = 'paligemma.llm.layers.mlp.gating_einsum';
const SHAPE = [3, 20, 12];

function writeFamily(): string[] {
  const n = SHAPE.reduce((a, b) => a * b, 1);
  return ['pre', 'aux', 'sft', 'down'].map((role, i) => {
    const path = join(tmp, `${role}.safetensors`);
    // Layers of very different sizes, so a row holding another layer's numbers shows.
    const x = Array.from(gaussian(900 + i, n), (v, j) => v * (1 + 3 * Math.floor(j / (n / 3))));
    writeFileSync(path, buildSafetensors({ [NAME]: { dtype: 'F32', shape: SHAPE, data_offsets: [0, n * 4] } }, f32Bytes(x)));
    return path;
  });
}

describe('α preview with γ truncated, for a stacked tensor', () => {
  it("each layer's row holds that layer's slice: full-rank truncation gives back the statistics pass's per-layer sums", async () => {
    const [pre, aux, sft, down] = await openPaths(writeFamily());
    const plan = capvectorPlan({ down: true });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
    const tensors: TensorStats[] = [];
    await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => tensors.push(t) });
    const spectra = new Map<string, TensorSpectral[]>();
    await runSpectral({ plan, tasks, k: 12, alpha: () => 0.4, gammaProjections: true, onTensor: (s) => spectra.set(s.name, [...(spectra.get(s.name) ?? []), s]) });
    expect(spectra.get(NAME)!.map((s) => s.layer)).toEqual([0, 1, 2]);
    const grid = buildGrids(plan, tensors)[0];
    expect(grid.blocks).toEqual([0, 1, 2]);
    const ig = vectorIndex(plan, 'gamma');
    const p = pairIndex(plan, ig, vectorIndex(plan, 'down'));
    const count: Truncation = { missing: 0, clipped: 0 };
    const parts = truncatedLayerParts(plan, grid, tensors, spectra, 12, { global: 0.4, perLayer: {} }, count);
    expect(count).toEqual({ missing: 0, clipped: 0 });
    for (const b of [0, 1, 2]) {
      const want = grid.layers.get(b)!;
      const got = parts.get(b)!.acc;
      expect(Math.abs(got.vectors[ig].sumSq / want.vectors[ig].sumSq - 1), `layer ${b} ‖γ‖²`).toBeLessThan(1e-9);
      expect(Math.abs(got.pairs[p].dot / want.pairs[p].dot - 1), `layer ${b} ⟨γ, D⟩`).toBeLessThan(1e-9);
      // The untruncated entries are the layer's own too.
      expect(got.vectors[vectorIndex(plan, 'down')].sumSq).toBe(want.vectors[vectorIndex(plan, 'down')].sumSq);
    }
  });
});

describe('the γ–Δ overlap of a stacked tensor', () => {
  it("forms each layer's Δ = D − α·γ at that layer's α (a per-layer α reaches every layer of the stack)", async () => {
    const cks = await openPaths(writeFamily());
    const [pre, aux, sft, down] = cks;
    const plan = capvectorPlan({ down: true });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
    const alphas = [0.2, 0.9, 1.7];
    const got: TensorSpectral[] = [];
    await runSpectral({ plan, tasks, k: 4, alpha: (_, layer) => alphas[layer ?? 0], onTensor: (s) => got.push(s) });
    // Reference: each layer's slice read from the whole tensors, Δ formed here in float64 at that layer's α.
    const whole = await Promise.all(cks.map(async (c) => Float64Array.from(await readTensorF32(c.tensors[0]))));
    const per = 20 * 12;
    for (const s of got) {
      const l = s.layer!;
      const sl = (x: Float64Array) => x.subarray(l * per, (l + 1) * per);
      const [wp, wa, ws, wd] = whole.map(sl);
      const gamma = wa.map((v, i) => v - ws[i]);
      const delta = wd.map((v, i) => v - wp[i] - alphas[l] * gamma[i]);
      const opts = { k: 4, seed: 0 };
      const want = subspaceOverlap(await topSvd({ rows: 20, cols: 12, data: gamma }, opts), await topSvd({ rows: 20, cols: 12, data: delta }, opts), 4)!;
      expect(Math.abs(s.overlapGammaDelta! - want), `layer ${l}`).toBeLessThan(1e-12);
    }
  });
});

describe('the low-rank grid of a scanned stack (its statistics already split per layer)', () => {
  it("each layer's row shows that layer's spectrum alone (spectraAt, spectralGridValues)", async () => {
    const [pre, aux, sft, down] = await openPaths(writeFamily());
    const plan = capvectorPlan({ down: true });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
    const tensors: TensorStats[] = [];
    await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => tensors.push(t) });
    const spectra = new Map<string, TensorSpectral[]>();
    await runSpectral({ plan, tasks, k: 4, alpha: () => 0.4, onTensor: (s) => spectra.set(s.name, [...(spectra.get(s.name) ?? []), s]) });
    const grid = buildGrids(plan, tensors)[0];
    const module = grid.modules[0];
    const gv = spectralGridValues(grid, tensors, spectra, 'stableRank', 0.9);
    expect(gv.blocks).toEqual([0, 1, 2]);
    for (const layer of [0, 1, 2]) {
      const own = spectra.get(NAME)!.find((s) => s.layer === layer)!;
      expect(spectraAt(grid, tensors, spectra, layer, module).spectra).toEqual([own]);
      expect(gv.values[gv.blocks.indexOf(layer) * grid.modules.length]).toBe(own.gamma.stableRank);
    }
  });
});
