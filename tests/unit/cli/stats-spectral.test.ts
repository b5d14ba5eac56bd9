/** `capvector stats --by tensor --spectral --json`: the low-rank view of γ per matrix, against src/analysis/spectral.ts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { readTensorF32, type Checkpoint } from '../../../src/formats/checkpoint';
import { openPaths } from '../../../src/node/paths';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks } from '../../../src/analysis/run-stats';
import { runSpectral, type TensorSpectral } from '../../../src/analysis/run-spectral';
import { gaussian, matrixShape, spectralSummary, subspaceOverlap, topSvd } from '../../../src/analysis/spectral';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';

const STATS = join(__dirname, '../../fixtures/stats');
const tmp = mkdtempSync(join(tmpdir(), 'capvector-spectral-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A family with matrices big enough for the randomised path at k = 4: γ of rank 3 plus noise. */
const SHAPES: Record<string, number[]> = {
  'backbone.0.weight': [16, 4, 3, 3],
  'backbone.0.bias': [16],
  'model.layers.0.mlp.up_proj.weight': [64, 48],
  'model.layers.0.self_attn.o_proj.weight': [48, 64],
};
function writeFamily(): Record<string, string> {
  const vals: Record<string, Record<string, number[]>> = { pre: {}, aux: {}, sft: {}, down: {} };
  let seed = 100;
  for (const [name, shape] of Object.entries(SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const [rows, cols] = matrixShape(shape) ?? [n, 1];
    const pre = Array.from(gaussian(seed++, n), (x) => 0.05 * x);
    const sft = pre.map((x, i) => x + 0.01 * gaussian(seed, n)[i]);
    seed++;
    const u = gaussian(seed++, rows * 3), v = gaussian(seed++, cols * 3), noise = gaussian(seed++, n);
    const gamma = Array.from({ length: n }, (_, i) => {
      const r = Math.floor(i / cols), c = i % cols;
      let s = 0;
      for (let t = 0; t < 3; t++) s += u[r * 3 + t] * v[c * 3 + t] * 0.01 / (t + 1);
      return s + 0.003 * noise[i];
    });
    const aux = sft.map((x, i) => x + gamma[i]);
    const d = gaussian(seed++, n);
    const down = pre.map((x, i) => x + 0.8 * gamma[i] + 0.5 * gamma[(i * 7) % n] + 0.002 * d[i]);
    Object.assign(vals.pre, { [name]: pre });
    Object.assign(vals.sft, { [name]: sft });
    Object.assign(vals.aux, { [name]: aux });
    Object.assign(vals.down, { [name]: down });
  }
  const paths: Record<string, string> = {};
  for (const [role, tensors] of Object.entries(vals)) {
    const header: Record<string, unknown> = {};
    const parts: number[] = [];
    for (const [name, shape] of Object.entries(SHAPES)) {
      header[name] = { dtype: 'F32', shape, data_offsets: [parts.length * 4, (parts.length + tensors[name].length) * 4] };
      parts.push(...tensors[name]);
    }
    paths[role] = join(tmp, `${role}.safetensors`);
    writeFileSync(paths[role], buildSafetensors(header, f32Bytes(parts)));
  }
  return paths;
}

async function f64(c: Checkpoint, name: string): Promise<Float64Array> {
  return Float64Array.from(await readTensorF32(c.tensors.find((t) => t.name === name)!));
}

/** The module's answer for one tensor, computed here from whole tensors: γ = aux − sft, Δ = down − pre − α·γ. */
async function reference(cks: Record<string, Checkpoint>, name: string, k: number, alpha: number) {
  const shape = cks.pre.tensors.find((t) => t.name === name)!.shape;
  const [rows, cols] = matrixShape(shape)!;
  const [aux, sft] = await Promise.all([f64(cks.aux, name), f64(cks.sft, name)]);
  const gamma = aux.map((x, i) => x - sft[i]);
  const g = await spectralSummary({ rows, cols, data: gamma }, { k, seed: 0 });
  let overlap: number | null | undefined;
  if (cks.down) {
    const [down, pre] = await Promise.all([f64(cks.down, name), f64(cks.pre, name)]);
    const delta = down.map((x, i) => x - pre[i] - alpha * gamma[i]);
    overlap = subspaceOverlap(g.svd, await topSvd({ rows, cols, data: delta }, { k, seed: 0 }), k);
  }
  return { ...g.summary, overlap };
}

type Row = Record<string, unknown> & { name: string };
const FIELDS = ['stableRank', 'energyRank90', 'energyRank95', 'energyRank99'] as const;
function expectRow(row: Row, ref: Awaited<ReturnType<typeof reference>>) {
  expect((row.sigma as number[]).length).toBe(ref.sigma.length);
  (row.sigma as number[]).forEach((s, i) => expect(Math.abs(s - ref.sigma[i])).toBeLessThanOrEqual(1e-12 * ref.sigma[0]));
  for (let i = 1; i < ref.sigma.length; i++) expect((row.sigma as number[])[i]).toBeLessThanOrEqual((row.sigma as number[])[i - 1]);
  for (const f of FIELDS) {
    if (typeof ref[f] === 'number' && !Number.isInteger(ref[f])) expect(row[f] as number).toBeCloseTo(ref[f] as number, 9);
    else expect(row[f], f).toBe(ref[f]);
  }
  if (ref.overlap === undefined) expect(row).not.toHaveProperty('overlapGammaDelta');
  else expect(Math.abs((row.overlapGammaDelta as number) - ref.overlap!)).toBeLessThan(1e-9);
}

describe('capvector stats --spectral', () => {
  it('adds sigma, stableRank, energyRank90/95/99 and overlapGammaDelta to every matrix row of the stats family', async () => {
    const f = (r: string) => join(STATS, `${r}.safetensors`);
    const r = await cli(['stats', '--pre', f('pre'), '--aux', f('aux'), '--sft', f('sft'), '--down', f('down'), '--alpha', '0.3', '--by', 'tensor', '--spectral', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { spectral: Record<string, unknown>; rows: Row[] };
    expect(j.spectral).toEqual({ k: 32, oversample: 10, powerIterations: 2, seed: 0, vector: 'gamma' });
    const [pre, aux, sft, down] = await openPaths(['pre', 'aux', 'sft', 'down'].map(f));
    let matrices = 0;
    for (const row of j.rows) {
      const shape = pre.tensors.find((t) => t.name === row.name)!.shape;
      if (!matrixShape(shape)) {
        expect(row).not.toHaveProperty('sigma');
        continue;
      }
      matrices++;
      const ref = await reference({ pre, aux, sft, down }, row.name, 32, 0.3);
      expect(ref.exact).toBe(true); // at most 32 × 8: exact SVD
      expect(ref.sigma.length).toBe(Math.min(...matrixShape(shape)!));
      expectRow(row, ref);
      expect(row.energyRank99).not.toBeNull(); // the whole spectrum is computed
    }
    expect(matrices).toBe(12);
  });

  it('randomised path (k = 4 on 64×48, 48×64 and a conv kernel): the module\'s numbers, energy ranks null beyond k, no overlap without --down', async () => {
    const p = writeFamily();
    const r = await cli(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--by', 'tensor', '--spectral', '--spectral-k', '4', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { spectral: { k: number }; rows: Row[] };
    expect(j.spectral.k).toBe(4);
    const cks = await openPaths([p.pre, p.aux, p.sft]);
    for (const row of j.rows) {
      if (row.name.endsWith('.bias')) {
        expect(row).not.toHaveProperty('sigma');
        continue;
      }
      const ref = await reference({ pre: cks[0], aux: cks[1], sft: cks[2] }, row.name, 4, 0.8);
      expect(ref.exact).toBe(false);
      expect((row.sigma as number[]).length).toBe(4);
      expectRow(row, ref);
      expect(row.energyRank90).toBeLessThanOrEqual(3); // γ is rank 3 plus small noise
      expect(row.energyRank99).toBeNull(); // the noise carries more than 1% beyond σ₄
    }
  });

  it('with --down: overlapGammaDelta per matrix; reading in small chunks gives the same numbers', async () => {
    const p = writeFamily();
    const r = await cli(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--down', p.down, '--by', 'tensor', '--spectral', '--spectral-k', '4', '--json']);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.out) as { rows: Row[] }).rows.filter((x) => 'sigma' in x);
    expect(rows.length).toBe(3);
    const [pre, aux, sft, down] = await openPaths([p.pre, p.aux, p.sft, p.down]);
    for (const row of rows) {
      const ref = await reference({ pre, aux, sft, down }, row.name, 4, 0.8);
      expectRow(row, ref);
      expect(row.overlapGammaDelta as number).toBeGreaterThan(0);
      expect(row.overlapGammaDelta as number).toBeLessThanOrEqual(1 + 1e-12);
    }
    const plan = capvectorPlan({ down: true });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft, down });
    const chunked: TensorSpectral[] = [];
    await runSpectral({ plan, tasks, k: 4, alpha: () => 0.8, chunkElements: 100, onTensor: (t) => chunked.push(t) });
    expect(chunked.map((t) => t.name)).toEqual(rows.map((x) => x.name));
    chunked.forEach((t, i) => {
      t.gamma.sigma.forEach((s, q) => expect(Math.abs(s - (rows[i].sigma as number[])[q])).toBeLessThanOrEqual(1e-12 * t.gamma.sigma1));
      expect(Math.abs(t.overlapGammaDelta! - (rows[i].overlapGammaDelta as number))).toBeLessThan(1e-9);
    });
  });

  it('--spectral-power N: more power iterations bring the randomised spectrum closer to the exact one', async () => {
    const p = writeFamily();
    const r = await cli(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--by', 'tensor', '--spectral', '--spectral-k', '4', '--spectral-power', '4', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { spectral: { powerIterations: number }; rows: Row[] };
    expect(j.spectral.powerIterations).toBe(4);
    const [pre, aux, sft] = await openPaths([p.pre, p.aux, p.sft]);
    const plan = capvectorPlan({ down: false });
    const { tasks } = planStatsTasks(plan, { pre, aux, sft });
    const at = async (o: { k: number; powerIterations?: number }) => {
      const got = new Map<string, number[]>();
      await runSpectral({ plan, tasks, alpha: () => 0.8, ...o, onTensor: (t) => got.set(t.name, t.gamma.sigma) });
      return got;
    };
    const exact = await at({ k: 64 }); // k + 10 ≥ min(rows, cols): the exact SVD
    const two = await at({ k: 4, powerIterations: 2 });
    const four = await at({ k: 4, powerIterations: 4 });
    for (const row of j.rows.filter((x) => 'sigma' in x)) {
      expect(row.sigma).toEqual(four.get(row.name));
      const err = (s: number[]) => s.reduce((a, v, q) => a + Math.abs(v - exact.get(row.name)![q]), 0);
      expect(err(four.get(row.name)!)).toBeLessThanOrEqual(err(two.get(row.name)!));
    }
    expect((await cli(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--by', 'tensor', '--spectral-power', '3'])).err).toMatch(/--spectral-power needs --spectral/);
    expect((await cli(['stats', '--pre', p.pre, '--aux', p.aux, '--sft', p.sft, '--by', 'tensor', '--spectral', '--spectral-power', '-1'])).code).toBe(2);
  });

  it('prints the spectral columns in the table, "> k" beyond the spectrum; usage faults exit 2', async () => {
    const f = (r: string) => join(STATS, `${r}.safetensors`);
    const base = ['stats', '--pre', f('pre'), '--aux', f('aux'), '--sft', f('sft')];
    const t = await cli([...base, '--by', 'tensor', '--spectral', '--spectral-k', '2']);
    expect(t.code).toBe(0);
    const lines = t.out.split('\n');
    expect(lines[0]).toMatch(/sigma1\s+stableRank\s+energyRank90\s+energyRank95\s+energyRank99$/);
    expect(lines.find((l) => l.startsWith('projector.fc1.weight'))).toMatch(/>2\s+>2\s+>2$/);
    expect((await cli([...base, '--spectral'])).code).toBe(2); // --by component
    expect((await cli([...base, '--by', 'layer', '--spectral'])).err).toMatch(/--spectral needs --by tensor/);
    expect((await cli([...base, '--by', 'tensor', '--spectral-k', '4'])).err).toMatch(/--spectral-k needs --spectral/);
    expect((await cli([...base, '--by', 'tensor', '--spectral', '--spectral-k', '0'])).code).toBe(2);
  });
});
