/**
 * One row per merge method, and the table is typed by the registry: a method without its row does not
 * compile. Each row's recipe runs through runMerge (plan, engine op, writer) on small float32 inputs
 * and must equal the row's float64 formula rounded once (≤ 1 ulp, ≥ 99.9 % bit-exact, as the golden
 * tests); its mergekit YAML must name the row's mergekit method; the CLI must offer it.
 */
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { memorySink } from '../../../src/merge/memory-sink';
import { defaultRecipe, validateRecipe } from '../../../src/merge/recipe';
import { recipeToMergekitYaml } from '../../../src/merge/recipe-yaml';
import { METHOD_ORDER, METHODS } from '../../../src/merge/registry';
import { runMerge } from '../../../src/merge/run';
import type { MergeInputs, MergeMethod, Recipe } from '../../../src/merge/types';
import { METHOD_COMMANDS } from '../../../src/cli/method-flags';
import { assertClose, compareCheckpoints, openMemory } from './golden-helpers';

/** One element of every input role. */
interface X {
  pre: number;
  aux: number;
  sft: number;
  vector: number;
  models: number[];
}

interface Row {
  params: Recipe['params'];
  /** Per-model parameters of the multi-model methods (their count is the number of models). */
  models?: Record<string, number>[];
  /** The output element in float64 (rounded once to float32 by the test). */
  value(x: X): number;
  /** merge_method in the mergekit YAML. */
  mergekit: string;
}

const tau = (x: X, i: number) => x.models[i] - x.pre;

/** TIES with every entry kept (density 1): elect the sign of Σ w·τ, weighted mean of the agreeing entries. */
function tiesAllKept(x: X, w: number[], lambda: number): number {
  const s = w.map((wi, i) => wi * tau(x, i));
  const pos = s.reduce((a, b) => a + b, 0) >= 0;
  let merged = 0, wsum = 0;
  s.forEach((si, i) => {
    if (pos ? si > 0 : si < 0) {
      merged += si;
      wsum += w[i];
    }
  });
  return x.pre + lambda * (merged / (wsum === 0 ? 1 : wsum));
}

const ROWS: { [M in MergeMethod]: Row } = {
  capvector: { params: { alpha: 0.8 }, value: (x) => x.pre + 0.8 * (x.aux - x.sft), mergekit: 'task_arithmetic' },
  extract: { params: {}, value: (x) => x.aux - x.sft, mergekit: 'linear' },
  apply: { params: { alpha: 0.8 }, value: (x) => x.pre + 0.8 * x.vector, mergekit: 'linear' },
  'task-arithmetic': { params: { lambda: 0.9 }, models: [{ weight: 0.5 }, { weight: -0.3 }], value: (x) => x.pre + 0.9 * (0.5 * tau(x, 0) - 0.3 * tau(x, 1)), mergekit: 'task_arithmetic' },
  ties: { params: { lambda: 1.1 }, models: [{ weight: 1 }, { weight: 0.5 }], value: (x) => tiesAllKept(x, [1, 0.5], 1.1), mergekit: 'ties' },
  // p = 0 keeps every entry (÷ 1): the seeded mask itself is checked in executor.test.ts.
  dare: { params: { p: 0, seed: 3, lambda: 0.7 }, models: [{ weight: 0.5 }, { weight: 1 }], value: (x) => x.pre + 0.7 * (0.5 * tau(x, 0) + tau(x, 1)), mergekit: 'dare_linear' },
  linear: { params: {}, models: [{ weight: 1 }, { weight: 3 }], value: (x) => (x.models[0] + 3 * x.models[1]) / 4, mergekit: 'linear' },
};

const TENSORS = { 'model.layers.0.mlp.weight': 257, 'model.layers.1.mlp.weight': 300 };

/** Seeded values in (−1, 1), different for every role and tensor. */
function values(seed: number, n: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function f32Checkpoint(name: string, tensors: Record<string, Float32Array>): Checkpoint {
  return {
    name, format: 'safetensors', files: [name], sharded: false, metadata: {}, fileBytes: 0,
    tensors: Object.entries(tensors).map(([t, v]) => ({
      name: t, dtype: 'F32', shape: [v.length], byteLength: v.byteLength, file: name,
      read: async (start = 0, len = v.byteLength) => new Uint8Array(v.buffer).slice(start, start + len),
    })),
  };
}

const roleValues = (seed: number) => Object.fromEntries(Object.entries(TENSORS).map(([t, n], k) => [t, values(seed * 31 + k, n)]));
const ROLES = { pre: roleValues(1), aux: roleValues(2), sft: roleValues(3), vector: roleValues(4), models: [roleValues(5), roleValues(6)] };

function recipeOf(method: MergeMethod, row: Row): Recipe {
  const r = defaultRecipe(method);
  const takesModels = METHODS[method].roles.includes('models');
  return { ...r, params: { ...r.params, ...row.params }, roles: takesModels ? { pre: 'pre', models: (row.models ?? []).map((params, i) => ({ name: `m${i}`, params })) } : { pre: 'pre', aux: 'aux', sft: 'sft', vector: 'vector' } };
}

function inputsOf(method: MergeMethod, row: Row): MergeInputs {
  const inputs: MergeInputs = {};
  for (const role of METHODS[method].roles) {
    if (role === 'models') inputs.models = ROLES.models.slice(0, row.models?.length ?? 0).map((m, i) => f32Checkpoint(`m${i}`, m));
    else inputs[role] = f32Checkpoint(role, ROLES[role]);
  }
  return inputs;
}

function expected(row: Row): Checkpoint {
  const out: Record<string, Float32Array> = {};
  for (const [t, n] of Object.entries(TENSORS)) {
    out[t] = Float32Array.from({ length: n }, (_, i) =>
      row.value({ pre: ROLES.pre[t][i], aux: ROLES.aux[t][i], sft: ROLES.sft[t][i], vector: ROLES.vector[t][i], models: ROLES.models.map((m) => m[t][i]) }),
    );
  }
  return f32Checkpoint('expected', out);
}

describe('every registered method', () => {
  it('has a row here, in the registry order', () => {
    expect(Object.keys(ROWS).sort()).toEqual([...METHOD_ORDER].sort());
  });

  for (const method of METHOD_ORDER) {
    const row = ROWS[method];
    it(`${method}: its output equals the row's formula rounded once`, async () => {
      const recipe = recipeOf(method, row);
      expect(validateRecipe(recipe)).toEqual([]);
      const sink = memorySink();
      await runMerge(recipe, inputsOf(method, row), { engine: new CpuEngine(), sink, chunkElements: 100 });
      assertClose(await compareCheckpoints(await openMemory(sink.files), expected(row)), method);
    });

    it(`${method}: mergekit YAML and a CLI command`, () => {
      expect(recipeToMergekitYaml(recipeOf(method, row))).toMatch(new RegExp(`^merge_method: ${row.mergekit}$`, 'm'));
      expect(METHOD_COMMANDS.filter((c) => c.methods.includes(method))).toHaveLength(1);
    });
  }
});
