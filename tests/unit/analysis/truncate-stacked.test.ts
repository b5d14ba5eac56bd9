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
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { gaussian } from '../../../src/analysis/spectral';
import { truncatedLayerParts, type Truncation } from '../../../src/analysis/truncate';
import { CpuEngine } from '../../../src/compute/cpu-engine';
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
