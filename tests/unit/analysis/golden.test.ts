import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { fileSource } from '../../../src/node/file-source';
import { safetensorsReader } from '../../../src/formats/safetensors';
import { buildGrids, groupParts, layerId, modelParts, type AlphaSpec, type GroupGrid } from '../../../src/analysis/aggregate';
import { cosineMatrix, metricRecord } from '../../../src/analysis/metrics';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import type { Checkpoint } from '../../../src/formats/checkpoint';

// Float64 PyTorch reference written by tests/fixtures/make_stats_golden.py (Δ materialised there,
// derived from dots here; layers/components grouped by a hand-written table there, by parsing here).
const DIR = join(__dirname, '../../fixtures/stats');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
type Metrics = Record<string, number>;

/** 1e-5 relative; cosines and fractions (already normalised to [-1, 1]) to 1e-5 absolute. */
function expectClose(got: Metrics, want: Metrics, where: string) {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    const tol = k.startsWith('cos') || k.startsWith('sign') || k.startsWith('near') ? 1e-5 : 1e-5 * Math.abs(w);
    if (!(Math.abs(g - w) <= tol)) throw new Error(`${where} ${k}: got ${g}, want ${w}`);
  }
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
}

const plan = capvectorPlan({ down: true });
const tensors: TensorStats[] = [];
let skipped: string[] = [];
let grids: GroupGrid[] = [];
const uniform = (a: number): AlphaSpec => ({ global: a, perLayer: {} });

beforeAll(async () => {
  const byRole: Record<string, Checkpoint> = {};
  for (const r of plan.roles) byRole[r] = await safetensorsReader.open(await fileSource(join(DIR, `${r}.safetensors`), `${r}.safetensors`), () => undefined);
  const t = planStatsTasks(plan, byRole);
  skipped = t.skipped.map((s) => s.name);
  // A chunk of 37 elements splits every tensor into uneven chunks: sums must not depend on chunking.
  await runStats({ plan, tasks: t.tasks, engine: new CpuEngine(), chunkElements: 37, onTensor: (x) => tensors.push(x) });
  grids = buildGrids(plan, tensors);
});

describe('statistics against the float64 PyTorch reference', () => {
  it('skips the integer tensor and keeps every float tensor', () => {
    expect(skipped).toEqual(expected.skipped);
    expect(tensors.map((t) => t.name).sort()).toEqual(Object.keys(expected.tensors).sort());
  });

  it('per tensor, at each α', () => {
    for (const t of tensors) {
      for (const a of expected.alphas as number[]) {
        expectClose(metricRecord(plan, [{ acc: t.acc, alpha: a }]), expected.tensors[t.name].metrics[String(a)], `${t.name} α=${a}`);
      }
    }
  });

  it('per layer and per component, from summed squares and dots', () => {
    const layerKeys: string[] = [];
    for (const g of grids) {
      for (const b of g.blocks) {
        const id = layerId(g.group, b);
        layerKeys.push(id);
        for (const a of expected.alphas as number[]) {
          expectClose(metricRecord(plan, [{ acc: g.layers.get(b)!, alpha: a }]), expected.layers[id].metrics[String(a)], `layer ${id} α=${a}`);
        }
      }
      for (const a of expected.alphas as number[]) {
        expectClose(metricRecord(plan, groupParts(g, uniform(a))), expected.components[g.group].metrics[String(a)], `component ${g.group} α=${a}`);
      }
    }
    expect(layerKeys.sort()).toEqual(Object.keys(expected.layers).sort());
  });

  it('whole model and the pairwise cosine matrix (with Δ)', () => {
    for (const a of expected.alphas as number[]) {
      const parts = modelParts(grids, uniform(a));
      expectClose(metricRecord(plan, parts), expected.model.metrics[String(a)], `model α=${a}`);
      const m = cosineMatrix(plan, parts, expected.model.cosineMatrix.ids);
      const want: number[][] = expected.model.cosineMatrix[String(a)];
      m.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThan(1e-5)));
    }
  });

  it('per-layer α overrides: a component is the sum over its layers at their own α', () => {
    const lang = grids.find((g) => g.group === 'language')!;
    // Every language layer overridden to 0.3 while the global α is 0.8 must equal the α = 0.3 reference.
    const perLayer = Object.fromEntries(lang.blocks.map((b) => [layerId('language', b), 0.3]));
    expectClose(metricRecord(plan, groupParts(lang, { global: 0.8, perLayer })), expected.components.language.metrics['0.3'], 'overridden');
    // Mixed: ‖Δ‖² of the component = Σ over layers of ‖Δ_l‖² at each layer's α.
    const mixed: AlphaSpec = { global: 0.8, perLayer: { [layerId('language', 1)]: 0.3 } };
    const want = lang.blocks.reduce((s: number, b) => {
      const id = layerId('language', b);
      const nd = expected.layers[id].metrics[b === 1 ? '0.3' : '0.8'].normDelta;
      return s + nd * nd;
    }, 0);
    const got = metricRecord(plan, groupParts(lang, mixed)).normDelta;
    expect(Math.abs(got - Math.sqrt(want)) / Math.sqrt(want)).toBeLessThan(1e-5);
  });
});

describe('statistics of the demo family against its float64 reference', () => {
  const DEMO = join(__dirname, '../../../public/demo');
  const ref = JSON.parse(readFileSync(join(DIR, 'demo_expected.json'), 'utf8'));
  it('Gram sums and metrics per tensor', async () => {
    const { openPath } = await import('../../../src/node/paths');
    const byRole: Record<string, Checkpoint> = {};
    for (const r of plan.roles) byRole[r] = await openPath(join(DEMO, r === 'aux' ? 'aux' : `${r}.safetensors`));
    const t = planStatsTasks(plan, byRole);
    const got: TensorStats[] = [];
    await runStats({ plan, tasks: t.tasks, engine: new CpuEngine(), onTensor: (x) => got.push(x) });
    expect(got.map((x) => x.name).sort()).toEqual(Object.keys(ref.tensors).sort());
    for (const x of got) {
      const want = ref.tensors[x.name];
      plan.vectors.forEach((v, i) => {
        const w = want.sumSq[v.id];
        expect(Math.abs(x.acc.vectors[i].sumSq - w)).toBeLessThanOrEqual(1e-5 * w + 1e-30);
      });
      for (const a of ref.alphas as number[]) {
        const m = metricRecord(plan, [{ acc: x.acc, alpha: a }]);
        for (const [k, w] of Object.entries(want.metrics[String(a)] as Record<string, number | null>)) {
          if (w === null) expect(Number.isNaN(m[k])).toBe(true);
          else expect(Math.abs(m[k] - w)).toBeLessThanOrEqual(1e-5 * Math.max(Math.abs(w), k.startsWith('cos') ? 1 : 0) + 1e-12);
        }
      }
    }
  });
});
