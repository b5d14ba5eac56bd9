/**
 * Stacked layers (JAX/openpi: every layer of a scanned stack in one tensor, on axis 0): the name parser
 * recognises them, the statistics pass keeps an accumulator per layer and the per-layer views split
 * them — checked against float64 PyTorch statistics of torch's t[l] slices written by
 * tests/fixtures/make_stacked_golden.py (groups and layer counts stated by hand there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGrids, layerId, tensorInLayer, type GroupGrid } from '../../../src/analysis/aggregate';
import { metricRecord } from '../../../src/analysis/metrics';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks, runStats, type TensorStats } from '../../../src/analysis/run-stats';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { safetensorsReader } from '../../../src/formats/safetensors';
import { parseLayerKey } from '../../../src/model/layer-key';
import { isStackedName, layerOf, layerRange, stackedLayout } from '../../../src/model/stacked';
import { fileSource } from '../../../src/node/file-source';

const DIR = join(__dirname, '../../fixtures/stacked');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
type Metrics = Record<string, number | null>;

function expectClose(got: Metrics, want: Metrics, where: string) {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k];
    if (w === null) {
      expect(Number.isNaN(g as number) || g === null, `${where} ${k}`).toBe(true);
      continue;
    }
    const tol = k.startsWith('cos') || k.startsWith('sign') || k.startsWith('near') ? 1e-9 : 1e-9 * Math.abs(w);
    if (!(Math.abs((g as number) - w) <= tol)) throw new Error(`${where} ${k}: got ${g}, want ${w}`);
  }
}

describe('stacked names and layouts', () => {
  it('recognises scanned stacks by their container word without an index, in both separators', () => {
    expect(isStackedName('paligemma.llm.layers.attn.q_einsum.w')).toBe(true);
    expect(isStackedName('PaliGemma/llm/layers/mlp/gating_einsum')).toBe(true);
    expect(isStackedName('img/Transformer/encoderblock/MlpBlock_0/Dense_0/kernel')).toBe(true);
    expect(isStackedName('language_model.model.layers.3.self_attn.q_proj.weight')).toBe(false);
    expect(isStackedName('llm/layers/3/attn/q_einsum/w')).toBe(false);
    expect(isStackedName('model.norm.weight')).toBe(false);
  });

  it('the layer parser marks them and names the module from the in-layer part', () => {
    expect(parseLayerKey('paligemma.llm.layers.attn.q_einsum.w')).toEqual({ component: 'language', tower: '', block: null, module: 'q', param: 'w', stacked: true });
    expect(parseLayerKey('paligemma/img/Transformer/encoderblock/LayerNorm_0/scale')).toEqual({ component: 'vision', tower: '', block: null, module: 'LayerNorm_0', param: 'scale', stacked: true });
    expect(parseLayerKey('language_model.model.layers.3.self_attn.q_proj.weight').stacked).toBeUndefined();
  });

  it('splits axis 0 into L row-major ranges; one axis or no elements is no stack', () => {
    const s = stackedLayout('llm.layers.attn.q_einsum.w', [3, 2, 8, 4])!;
    expect(s).toEqual({ layers: 3, perLayer: 64, layerShape: [2, 8, 4] });
    expect([0, 1, 2].map((l) => layerRange(s, l))).toEqual([{ first: 0, count: 64 }, { first: 64, count: 64 }, { first: 128, count: 64 }]);
    expect([0, 63, 64, 191].map((i) => layerOf(s, i))).toEqual([0, 0, 1, 2]);
    expect(stackedLayout('llm.layers.final.scale', [8])).toBeNull();
    expect(stackedLayout('llm.layers.attn.w', [3, 0, 4])).toBeNull();
    expect(stackedLayout('model.layers.0.mlp.up_proj.weight', [3, 4])).toBeNull();
  });
});

describe('per-layer statistics of stacked tensors against float64 PyTorch', () => {
  const plan = capvectorPlan({ down: true });
  const tensors: TensorStats[] = [];
  let grids: GroupGrid[] = [];

  beforeAll(async () => {
    const byRole: Record<string, Checkpoint> = {};
    for (const r of plan.roles) byRole[r] = await safetensorsReader.open(await fileSource(join(DIR, `${r}.safetensors`), `${r}.safetensors`), () => undefined);
    const t = planStatsTasks(plan, byRole);
    // 37-element chunks straddle every layer boundary unless the pass stops them there.
    await runStats({ plan, tasks: t.tasks, engine: new CpuEngine(), chunkElements: 37, onTensor: (x) => tensors.push(x) });
    grids = buildGrids(plan, tensors);
  });

  it('keeps one accumulator per layer for exactly the stacked tensors', () => {
    expect(Object.fromEntries(tensors.filter((t) => t.layers).map((t) => [t.name, t.layers!.length]))).toEqual(expected.stacked);
  });

  it('whole tensors are unchanged: per tensor, at each α', () => {
    for (const t of tensors) for (const a of expected.alphas as number[]) expectClose(metricRecord(plan, [{ acc: t.acc, alpha: a }]), expected.tensors[t.name].metrics[String(a)], `${t.name} α=${a}`);
  });

  it('each layer row holds its slice t[l] of every stacked tensor', () => {
    const seen: string[] = [];
    for (const g of grids) {
      for (const b of g.blocks) {
        const id = layerId(g.group, b);
        seen.push(id);
        for (const a of expected.alphas as number[]) expectClose(metricRecord(plan, [{ acc: g.layers.get(b)!, alpha: a }]), expected.layers[id].metrics[String(a)], `layer ${id} α=${a}`);
      }
    }
    expect(seen.sort()).toEqual(Object.keys(expected.layers).sort());
  });

  it('the heatmap grid has a cell per layer and module, and counts each tensor once', () => {
    const lang = grids.find((g) => g.group === 'language')!;
    expect(lang.blocks).toEqual([null, 0, 1, 2]);
    expect(lang.modules).toEqual(['norm_attn', 'q', 'qkv', 'gate', 'norm_final']);
    expect(lang.tensorCount).toBe(5);
    expect(lang.numel).toBe(3 * 64 + 3 * 64 + 3 * 96 + 3 * 8 + 8);
    expect(lang.cells.get('1|q')!.tensors).toHaveLength(1);
  });

  it("a cell's details show the stacked tensor's slice of that layer", () => {
    const q = tensors.find((t) => t.name === 'paligemma.llm.layers.attn.q_einsum.w')!;
    const one = tensorInLayer(q, 1);
    expect([one.shape, one.slice, one.acc === q.layers![1]]).toEqual([[2, 8, 4], 'layer 1 of 3', true]);
    expect(one.acc.vectors[0].count).toBe(64);
    const whole = tensorInLayer(tensors.find((t) => t.name === 'paligemma.llm.final_norm.scale')!, null);
    expect([whole.shape, whole.slice]).toEqual([[8], '']);
  });
});
