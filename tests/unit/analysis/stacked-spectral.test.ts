/**
 * Stacked tensors in the spectral pass (src/analysis/stacked-split.ts): [L, out, in] is split per layer
 * on axis 0, a conv1d kernel [out, in, k] and a [1, n, d] embedding stay one matrix. Each layer's
 * numbers equal those of the slice decomposed alone (read here from whole tensors); the CLI reports a
 * stacked tensor's spectra under `layers`; with the full spectrum, the truncated accumulators give back
 * the statistics pass's own ‖γ‖² and ⟨γ, D⟩ (an independent float64 sum: the slices' offsets are right).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capvectorPlan, pairIndex, vectorIndex } from '../../../src/analysis/plan';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { planStatsTasks, runStats, StatsCancelled, type StatsProgress, type TensorStats } from '../../../src/analysis/run-stats';
import { gaussian, spectralSummary, subspaceOverlap, topSvd } from '../../../src/analysis/spectral';
import { matrixView } from '../../../src/analysis/stacked-split';
import { buildGrids } from '../../../src/analysis/aggregate';
import { spectraAt, spectralGridValues } from '../../../src/analysis/spectral-grid';
import { truncatedAcc } from '../../../src/analysis/truncate';
import { main } from '../../../src/cli/main';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { openPaths } from '../../../src/node/paths';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';

const tmp = mkdtempSync(join(tmpdir(), 'capvector-stacked-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SHAPES: Record<string, number[]> = {
  'model.experts.w1.weight': [3, 40, 24],
  'model.conv1d.weight': [16, 4, 3],
  'model.pos_embed': [1, 17, 24],
};

function writeFamily(): Record<string, string> {
  const paths: Record<string, string> = {};
  let seed = 500;
  const vals: Record<string, number[]> = {};
  for (const role of ['pre', 'aux', 'sft', 'down']) {
    const all: number[] = [];
    const header: Record<string, unknown> = {};
    for (const [name, shape] of Object.entries(SHAPES)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Array.from(gaussian(seed++, n), (v) => 0.1 * v);
      header[name] = { dtype: 'F32', shape, data_offsets: [all.length * 4, (all.length + n) * 4] };
      all.push(...x);
    }
    vals[role] = all;
    paths[role] = join(tmp, `${role}.safetensors`);
    writeFileSync(paths[role], buildSafetensors(header, f32Bytes(all)));
  }
  return paths;
}

describe('stacked tensors in the spectral pass', () => {
  it('matrix views: stacked [L, out, in] per layer, conv kernels reshaped, a leading 1 one matrix, 1-D none', () => {
    expect(matrixView([3, 40, 24])).toEqual({ layers: 3, stacked: true, rows: 40, cols: 24 });
    expect(matrixView([16, 4, 3])).toEqual({ layers: 1, stacked: false, rows: 16, cols: 12 });
    expect(matrixView([64, 3, 8, 8])).toEqual({ layers: 1, stacked: false, rows: 64, cols: 192 });
    expect(matrixView([1, 17, 64])).toEqual({ layers: 1, stacked: false, rows: 17, cols: 64 });
    expect(matrixView([128, 64])).toEqual({ layers: 1, stacked: false, rows: 128, cols: 64 });
    expect(matrixView([64])).toBeNull();
    expect(matrixView([0, 5, 9])).toBeNull();
  });

  it('a scanned stack known by its name splits on axis 0 whatever its rank; its stacked vectors hold no matrix', () => {
    // openpi's einsum kernel [L, H, D, hd]: the shape rule alone would read it as one [L, H·D·hd] matrix.
    expect(matrixView([18, 8, 64, 16], 'paligemma.llm.layers.attn.q_einsum.w')).toEqual({ layers: 18, stacked: true, rows: 8, cols: 1024 });
    expect(matrixView([12, 96, 384], 'img/Transformer/encoderblock/MlpBlock_0/Dense_0/kernel')).toEqual({ layers: 12, stacked: true, rows: 96, cols: 384 });
    expect(matrixView([18, 2048], 'paligemma.llm.layers.pre_attention_norm.scale')).toBeNull();
    // An unrolled layer's name (layers.3.) is no stack: the shape decides.
    expect(matrixView([40, 24], 'model.layers.3.mlp.up_proj.weight')).toEqual({ layers: 1, stacked: false, rows: 40, cols: 24 });
  });

  it('each layer equals its slice decomposed alone; the CLI lists them under `layers`; full-rank truncation gives back the statistics sums', async () => {
    const p = writeFamily();
    const cks = await openPaths([p.pre, p.aux, p.sft, p.down]);
    const [pre, aux, sft, down] = cks;
    const plan = capvectorPlan({ down: true });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
    const got: TensorSpectral[] = [];
    await runSpectral({ plan, tasks, k: 8, alpha: () => 0.5, gammaProjections: true, onTensor: (s) => got.push(s) });
    expect(got.map((s) => [s.name, s.layer, s.matrix])).toEqual([
      ['model.experts.w1.weight', 0, [40, 24]], ['model.experts.w1.weight', 1, [40, 24]], ['model.experts.w1.weight', 2, [40, 24]],
      ['model.conv1d.weight', undefined, [16, 12]], ['model.pos_embed', undefined, [17, 24]],
    ].sort((a, b) => tasks.findIndex((t) => t.name === a[0]) - tasks.findIndex((t) => t.name === b[0])));

    const whole = async (name: string) => {
      const read = async (i: number) => Float64Array.from(await readTensorF32(cks[i].tensors.find((t) => t.name === name)!));
      return Promise.all([0, 1, 2, 3].map(read));
    };
    const [wp, wa, ws, wd] = await whole('model.experts.w1.weight');
    for (const s of got.filter((x) => x.layer !== undefined)) {
      const off = s.layer! * 40 * 24;
      const sl = (x: Float64Array) => x.subarray(off, off + 40 * 24);
      const gamma = sl(wa).map((v, i) => v - sl(ws)[i]);
      const ref = await spectralSummary({ rows: 40, cols: 24, data: gamma }, { k: 8, seed: 0 });
      s.gamma.sigma.forEach((v, i) => expect(Math.abs(v - ref.summary.sigma[i])).toBeLessThanOrEqual(1e-12 * ref.summary.sigma1));
      expect(s.gamma.stableRank).toBeCloseTo(ref.summary.stableRank!, 10);
      const delta = sl(wd).map((v, i) => v - sl(wp)[i] - 0.5 * gamma[i]);
      expect(Math.abs(s.overlapGammaDelta! - subspaceOverlap(ref.svd, await topSvd({ rows: 40, cols: 24, data: delta }, { k: 8, seed: 0 }), 8)!)).toBeLessThan(1e-12);
    }

    const out: string[] = [];
    expect(await main(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--down', p.down, '--alpha', '0.5', '--by', 'tensor', '--spectral', '--spectral-k', '8', '--json'],
      { out: (l) => out.push(l), err: () => {} })).toBe(0);
    const rows = JSON.parse(out.join('\n')).rows as Record<string, any>[];
    const st = rows.find((r) => r.name === 'model.experts.w1.weight')!;
    expect(st).not.toHaveProperty('sigma');
    expect(st.layers.map((l: { layer: number }) => l.layer)).toEqual([0, 1, 2]);
    st.layers.forEach((l: { sigma: number[]; overlapGammaDelta: number }, i: number) => {
      const s = got.find((x) => x.layer === i)!;
      expect(l.sigma).toEqual(s.gamma.sigma);
      expect(l.overlapGammaDelta).toBe(s.overlapGammaDelta);
    });
    expect(rows.find((r) => r.name === 'model.conv1d.weight')!.sigma).toHaveLength(8);

    // The low-rank grid: the stacked tensor (no block in its name) has one row per layer.
    const statsFirst: TensorStats[] = [];
    await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => statsFirst.push(t) });
    const byName = new Map<string, TensorSpectral[]>();
    for (const s of got) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    const st0 = statsFirst.find((t) => t.name === 'model.experts.w1.weight')!;
    expect(st0.key.block).toBeNull();
    const grid = buildGrids(plan, statsFirst).find((g) => g.group === st0.group)!;
    const gv = spectralGridValues(grid, statsFirst, byName, 'stableRank', 0.9);
    expect(gv.blocks.filter((b) => b !== null)).toEqual([0, 1, 2]);
    const c = grid.modules.indexOf(st0.key.module);
    for (const layer of [0, 1, 2]) {
      const r = gv.blocks.indexOf(layer);
      expect(gv.values[r * grid.modules.length + c]).toBe(got.find((s) => s.layer === layer)!.gamma.stableRank);
      expect(spectraAt(grid, statsFirst, byName, layer, st0.key.module).spectra.map((s) => s.layer)).toEqual([layer]);
    }
    expect(spectraAt(grid, statsFirst, byName, null, st0.key.module).spectra.filter((s) => s.name === st0.name)).toEqual([]);

    // k = 24 ≥ every layer's rank: γ_r at r = 24 is γ itself.
    const full: TensorSpectral[] = [];
    await runSpectral({ plan, tasks, k: 24, alpha: () => 0.5, gammaProjections: true, onTensor: (s) => full.push(s) });
    const stats: TensorStats[] = [];
    await runStats({ plan, tasks, engine: new CpuEngine(), onTensor: (t) => stats.push(t) });
    const ig = vectorIndex(plan, 'gamma');
    const pd = pairIndex(plan, ig, vectorIndex(plan, 'down'));
    for (const t of stats) {
      const acc = truncatedAcc(plan, t, full.filter((s) => s.name === t.name), 24);
      expect(Math.abs(acc.vectors[ig].sumSq / t.acc.vectors[ig].sumSq - 1), t.name).toBeLessThan(1e-9);
      expect(Math.abs(acc.pairs[pd].dot - t.acc.pairs[pd].dot), t.name).toBeLessThan(1e-9 * Math.sqrt(t.acc.vectors[ig].sumSq * t.acc.vectors[vectorIndex(plan, 'down')].sumSq));
      const r2 = truncatedAcc(plan, t, full.filter((s) => s.name === t.name), 2);
      expect(r2.vectors[ig].sumSq).toBeLessThan(acc.vectors[ig].sumSq);
    }
  });

  it('progress counts tensors and bytes up to the total; an abort stops between matrices (also between the layers of a stacked tensor)', async () => {
    const p = writeFamily();
    const [pre, aux, sft] = await openPaths([p.pre, p.aux, p.sft]);
    const plan = capvectorPlan({ down: false });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft });
    const progress: StatsProgress[] = [];
    let t = 0;
    await runSpectral({ plan, tasks, k: 4, alpha: () => 0.8, onTensor: () => {}, onProgress: (x) => progress.push(x), now: () => (t += 1000) });
    const bytes = tasks.reduce((s, x) => s + x.entries.reduce((b, e) => b + e.byteLength, 0), 0);
    expect(progress.map((x) => x.tensorsDone)).toEqual([1, 2, 3]);
    expect(progress.at(-1)).toMatchObject({ tensorsTotal: 3, bytesDone: bytes, bytesTotal: bytes, eta: 0 });
    const ctrl = new AbortController();
    const seen: TensorSpectral[] = [];
    const run = runSpectral({ plan, tasks, k: 4, alpha: () => 0.8, signal: ctrl.signal, onTensor: (s) => { seen.push(s); if (s.layer === 0) ctrl.abort(); } });
    await expect(run).rejects.toBeInstanceOf(StatsCancelled);
    expect(seen.filter((s) => s.layer !== undefined).map((s) => s.layer)).toEqual([0]);
  });
});
