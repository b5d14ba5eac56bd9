/**
 * Buffers are not weights: BatchNorm statistics, LeRobot normalisation buffers and integer/bool tensors
 * are copied from θ_pre by every method unless the recipe includes them. Goldens from
 * tests/fixtures/make_buffer_golden.py (a real torch policy with BatchNorm1d and `normalize_*` buffers).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { planMerge } from '../../../src/merge/plan';
import { defaultRecipe, validateRecipe } from '../../../src/merge/recipe';
import { METHOD_ORDER } from '../../../src/merge/registry';
import { runMerge } from '../../../src/merge/run';
import type { MergeInputs, Recipe } from '../../../src/merge/types';
import { bufferKind } from '../../../src/model/buffers';
import { closeAll } from '../../../src/node/file-source';
import { openPath, openPaths } from '../../../src/node/paths';
import { assertClose, compareCheckpoints, openMemory } from './golden-helpers';

const BUF = resolve(__dirname, '../../fixtures/buffers');
const BUFFERS = [
  'normalize_inputs.buffer_observation_state.mean', 'normalize_inputs.buffer_observation_state.std',
  'backbone.1.running_mean', 'backbone.1.running_var', 'backbone.1.num_batches_tracked',
  'unnormalize_outputs.buffer_action.mean', 'unnormalize_outputs.buffer_action.std',
];

async function inputs(): Promise<Required<Pick<MergeInputs, 'pre' | 'aux' | 'sft'>>> {
  const [pre, aux, sft] = await openPaths(['pre', 'aux', 'sft'].map((r) => join(BUF, r)));
  return { pre, aux, sft };
}

const capvector = (includeBuffers?: boolean): Recipe => ({
  ...defaultRecipe('capvector'), roles: { pre: 'pre', aux: 'aux', sft: 'sft' }, params: { alpha: 0.8 }, ...(includeBuffers ? { includeBuffers } : {}),
});

afterAll(() => closeAll());

describe('buffers', () => {
  it('tells buffers from weights by name and dtype', () => {
    expect(bufferKind('backbone.1.running_mean', 'F32')).toBe('statistics');
    expect(bufferKind('model.bn.running_var', 'BF16')).toBe('statistics');
    expect(bufferKind('bn.num_batches_tracked', 'I64')).toBe('statistics');
    expect(bufferKind('normalize_inputs.buffer_observation_state.mean', 'F32')).toBe('statistics');
    expect(bufferKind('model.unnormalize_outputs.buffer_action.std', 'F32')).toBe('statistics');
    expect(bufferKind('model.position_ids', 'I64')).toBe('integer');
    expect(bufferKind('mask', 'BOOL')).toBe('integer');
    for (const w of ['backbone.1.weight', 'model.layers.0.mlp.up_proj.weight', 'normalizer.weight', 'running_mean_proj.weight']) expect(bufferKind(w, 'F32'), w).toBeUndefined();
  });

  it('the plan lists every buffer as copied (buffer) from θ_pre, and includes the float ones on request', async () => {
    const plan = planMerge(capvector(), await inputs());
    const copied = plan.tensors.filter((t) => t.action.kind === 'copy');
    expect(copied.map((t) => [t.name, t.action.reason])).toEqual(BUFFERS.map((n) => [n, 'buffer']));
    expect(plan.notes.join('\n')).toMatch(/^7 tensor\(s\) copied \(buffer\) from pre: .*--include-buffers$/m);
    const incl = planMerge(capvector(true), await inputs());
    expect(incl.tensors.filter((t) => t.action.kind === 'copy').map((t) => [t.name, t.action.reason])).toEqual([['backbone.1.num_batches_tracked', 'non-float']]);
    expect(incl.notes.join('\n')).toMatch(/6 float buffer\(s\) merged like weights/);
  });

  it('every method copies the buffers by default', async () => {
    const { pre, aux, sft } = await inputs();
    for (const method of METHOD_ORDER) {
      const r = defaultRecipe(method);
      const roles: Recipe['roles'] = {};
      const given: MergeInputs = {};
      if (method === 'extract') Object.assign(given, { aux, sft });
      else if (method === 'apply') Object.assign(given, { pre, vector: aux });
      else if (method === 'capvector') Object.assign(given, { pre, aux, sft });
      else Object.assign(given, { pre, models: [aux, sft] });
      if (given.models) roles.models = given.models.map((m) => ({ name: m.name, params: {} }));
      for (const k of ['pre', 'aux', 'sft', 'vector'] as const) if (given[k]) roles[k] = given[k]!.name;
      const plan = planMerge({ ...r, roles }, given);
      const reasons = new Map(plan.tensors.map((t) => [t.name, t.action.reason]));
      if (method === 'extract') {
        for (const b of BUFFERS) expect(reasons.has(b), `${method} ${b}`).toBe(false); // a vector leaves buffers out
      } else {
        for (const b of BUFFERS) expect(reasons.get(b), `${method} ${b}`).toBe('buffer');
        expect(reasons.get('backbone.0.weight'), method).toBeUndefined();
      }
    }
  });

  for (const include of [false, true]) {
    const golden = include ? 'capvector-include-buffers-f32' : 'capvector-buffers-f32';
    it(`capvector golden with ${include ? 'buffers included' : 'buffers copied'} (${golden})`, async () => {
      const sink = memorySink();
      const res = await runMerge(capvector(include), await inputs(), { engine: new CpuEngine(), sink });
      expect([res.merged, res.copied]).toEqual(include ? [12, 1] : [6, 7]);
      const out = await openMemory(sink.files);
      const cmp = await compareCheckpoints(out, await openPath(join(BUF, 'expected', `${golden}.safetensors`)));
      assertClose(cmp, golden);
      const recipe = JSON.parse(out.metadata['capvector.recipe']) as Partial<Recipe>;
      if (include) expect(recipe.includeBuffers).toBe(true);
      // The copies are θ_pre's bytes.
      const pre = (await inputs()).pre;
      for (const b of include ? ['backbone.1.num_batches_tracked'] : BUFFERS) {
        expect(await out.tensors.find((t) => t.name === b)!.read(), b).toEqual(await pre.tensors.find((t) => t.name === b)!.read());
      }
    });
  }

  it('the CLI copies buffers by default and merges the float ones with --include-buffers', async () => {
    const root = resolve(__dirname, '../../..');
    const dir = mkdtempSync(join(tmpdir(), 'cv-buffers-'));
    try {
      for (const include of [false, true]) {
        const out = join(dir, include ? 'incl' : 'plain');
        const r = spawnSync(process.execPath, [join(root, 'bin/capvector.mjs'), 'merge', '--pre', join(BUF, 'pre'), '--aux', join(BUF, 'aux', 'model.safetensors'), '--sft', join(BUF, 'sft'),
          '--alpha', '0.8', '--out', out, '--no-hash', ...(include ? ['--include-buffers'] : [])], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toMatch(include ? /6 float buffer\(s\) merged like weights/ : /note: 7 tensor\(s\) copied \(buffer\) from pre/);
        const golden = include ? 'capvector-include-buffers-f32' : 'capvector-buffers-f32';
        assertClose(await compareCheckpoints(await openPath(out), await openPath(join(BUF, 'expected', `${golden}.safetensors`))), golden);
        const recipe = JSON.parse(readFileSync(join(out, 'capvector-recipe.json'), 'utf8')) as Partial<Recipe>;
        expect(recipe.includeBuffers).toBe(include ? true : undefined);
      }
    } finally {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('includeBuffers must be a boolean', () => {
    expect(validateRecipe({ ...capvector(), includeBuffers: 'yes' as never })).toEqual(['includeBuffers must be true or false (got "yes")']);
  });
});
