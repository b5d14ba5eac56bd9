/**
 * The analysis layer on `window.harness.analysis`: timing of the heatmap path (aggregate + colour +
 * canvas draw) on synthetic 80-layer models, and statistics throughput of an engine in the page.
 */
import { buildGrids } from '../analysis/aggregate';
import { emptyAcc } from '../analysis/gram';
import { gridValues } from '../analysis/heatmap-grid';
import { METRIC_BY_ID } from '../analysis/metrics';
import { capvectorPlan, statsSpec } from '../analysis/plan';
import type { TensorStats } from '../analysis/run-stats';
import { CpuEngine } from '../compute/cpu-engine';
import type { Engine } from '../compute/engine';
import { WebGpuEngine } from '../compute/webgpu-engine';
import { groupOf, parseLayerKey } from '../model/layer-key';
import { domainOf, lut } from '../ui/analysis/colormap';
import { drawHeatmap, layoutHeatmap } from '../ui/analysis/heatmap-draw';

const LLM = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj', 'input_layernorm', 'post_attention_layernorm'];
const VIT = ['attn.qkv', 'attn.proj', 'mlp.fc1', 'mlp.fc2', 'norm1', 'norm2', 'ls1', 'ls2'];

/** Synthetic per-tensor statistics of an OpenVLA-shaped model with `layers` LLM blocks (weight + bias each). */
function synthetic(layers: number): TensorStats[] {
  const plan = capvectorPlan({ down: true });
  const names: string[] = [];
  for (let b = 0; b < layers; b++) for (const m of LLM) names.push(`language_model.model.layers.${b}.${m}.weight`, `language_model.model.layers.${b}.${m}.bias`);
  for (let b = 0; b < 24; b++) for (const m of VIT) names.push(`vision_backbone.featurizer.blocks.${b}.${m}.weight`, `vision_backbone.fused_featurizer.blocks.${b}.${m}.weight`);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  return names.map((name) => {
    const acc = emptyAcc(plan);
    acc.vectors.forEach((v) => { v.count = 1000; v.sumSq = 0.1 + rnd(); });
    acc.pairs.forEach((p) => { p.dot = rnd() - 0.5; p.bothNonzero = 1000; p.signAgree = Math.floor(rnd() * 1000); });
    const key = parseLayerKey(name);
    return { name, key, group: groupOf(key), shape: [1000], numel: 1000, dtypes: ['BF16', 'BF16', 'BF16', 'BF16'], acc };
  });
}

export const analysis = {
  /** Times aggregate → values → draw of every component heatmap; returns ms for each step. */
  renderSynthetic(layers: number, metricId = 'cosGammaDelta') {
    const plan = capvectorPlan({ down: true });
    const tensors = synthetic(layers);
    const t0 = performance.now();
    const grids = buildGrids(plan, tensors);
    const t1 = performance.now();
    let cells = 0;
    const alpha = { global: 0.8, perLayer: {} };
    for (const g of grids) {
      const d = gridValues(plan, g, METRIC_BY_ID[metricId], alpha);
      const l = layoutHeatmap(d.rowLabels.length, d.colLabels.length, 900);
      const cv = document.createElement('canvas');
      cv.width = l.width;
      cv.height = l.height;
      drawHeatmap(cv.getContext('2d')!, d, l, lut('diverging'), domainOf(d.values, 'diverging'), {
        text: '#000', muted: '#555', background: '#fff', empty: '#eee', font: '10px sans-serif',
      });
      cells += d.present.reduce((s, x) => s + x, 0);
    }
    const t2 = performance.now();
    return { tensors: tensors.length, groups: grids.length, cells, aggregateMs: t1 - t0, drawMs: t2 - t1, totalMs: t2 - t0 };
  },

  /** Statistics throughput (input GB/s) of one engine on `elements` bf16 elements × 4 inputs. */
  async statsThroughput(kind: 'cpu' | 'webgpu', elements: number, reps = 3) {
    const engine: Engine = kind === 'cpu' ? new CpuEngine() : await WebGpuEngine.create();
    try {
      const plan = capvectorPlan({ down: true });
      const inputs = [0, 1, 2, 3].map((k) => {
        const b = new Uint8Array(elements * 2);
        for (let i = 0; i < b.length; i += 2) { b[i] = (i * 7 + k) & 0xff; b[i + 1] = 0x3c + ((i >> 4) & 3); }
        return { bytes: b, dtype: 'BF16' as const };
      });
      const spec = statsSpec(plan);
      const per = engine.maxChunkElements;
      const pass = async (n: number) => {
        for (let s = 0; s < n; s += per) {
          const e = Math.min(n, s + per);
          await engine.stats(inputs.map((x) => ({ ...x, bytes: x.bytes.subarray(s * 2, e * 2) })), spec);
        }
      };
      await pass(Math.min(elements, 4096)); // compile / JIT
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) await pass(elements);
      const s = (performance.now() - t0) / 1000 / reps;
      return { kind: engine.kind, bytes: elements * 2 * 4, seconds: s, gbps: (elements * 2 * 4) / s / 1e9 };
    } finally {
      engine.dispose();
    }
  },
};
