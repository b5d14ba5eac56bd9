/** Small pure parts: SHA-256, layer positions, parameter resolution, the writer's layout, mergekit YAML. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Sha256, sha256Hex } from '../../../src/merge/sha256';
import { setWasmEnabled } from '../../../src/compute/wasm/enabled';
import { interpolateGradient, LayerIndex } from '../../../src/merge/layer';
import { matchesFilter, resolveParam } from '../../../src/merge/params';
import { HASH_PLACEHOLDER, layoutSafetensors, withHashes } from '../../../src/merge/safetensors-writer';
import { recipeToMergekitYaml } from '../../../src/merge/recipe-yaml';
import { defaultRecipe, validateRecipe } from '../../../src/merge/recipe';
import { kthFromChunks, selectKthLargest } from '../../../src/merge/kth-largest';
import type { Recipe } from '../../../src/merge/types';

describe('sha256', () => {
  it('matches node:crypto for every length around block edges and in uneven pieces', () => {
    const data = new Uint8Array(3000).map((_, i) => (i * 131 + 7) & 0xff);
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 3000]) {
      expect(sha256Hex(data.subarray(0, n))).toBe(createHash('sha256').update(data.subarray(0, n)).digest('hex'));
    }
    const h = new Sha256();
    for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7) % 97 + 1) h.update(data.subarray(i, Math.min(data.length, i + step)));
    expect(h.digest()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('gives node:crypto\'s digests through the WebAssembly compression and through the TypeScript one', () => {
    // Long enough for the WebAssembly path (≥ 1 KB at once, more than one 64 KB copy), odd lengths, pieces.
    const data = new Uint8Array(200_003).map((_, i) => (i * 2654435761) >>> 24);
    const want = (n: number) => createHash('sha256').update(data.subarray(0, n)).digest('hex');
    for (const wasm of [true, false]) {
      setWasmEnabled(wasm);
      try {
        for (const n of [1024, 1087, 65536, 65536 + 64 + 5, 200_003]) expect(sha256Hex(data.subarray(0, n)), `${n} bytes, wasm ${wasm}`).toBe(want(n));
        const h = new Sha256();
        for (let i = 0, step = 3; i < data.length; i += step, step = (step * 13) % 70_001 + 1) h.update(data.subarray(i, Math.min(data.length, i + step)));
        expect(h.digest()).toBe(want(data.length));
      } finally {
        setWasmEnabled(true);
      }
    }
  });
});

describe('layers and parameters', () => {
  const names = ['embed.weight', 'vision.blocks.0.attn.w', 'vision.blocks.4.attn.w', 'lm.model.layers.0.q', 'lm.model.layers.1.q', 'lm.model.layers.2.q', 'lm_head.weight', 'model.norm.weight'];
  const idx = new LayerIndex(names);
  it('positions a tensor inside its own stack', () => {
    expect(idx.position('vision.blocks.4.attn.w')).toBe(1);
    expect(idx.position('lm.model.layers.1.q')).toBe(0.5);
    expect(idx.position('embed.weight')).toBe(0);
    expect(idx.position('lm_head.weight')).toBe(1);
    expect(idx.position('model.norm.weight')).toBe(1);
    expect(idx.layerCount).toBe(5);
  });
  it('interpolates gradients like numpy.interp over evenly spaced anchors', () => {
    expect(interpolateGradient([0, 1, 0], 0.25)).toBe(0.5);
    expect(interpolateGradient([0.2, 1], 0.5)).toBeCloseTo(0.6, 12);
    expect(interpolateGradient([3], 0.7)).toBe(3);
  });
  it('resolves rules: first substring match wins, a rule without filter is the default', () => {
    const rules = [{ filter: 'mlp', value: 0.5 }, { value: 9 }, { filter: 'attn', value: [0, 1] }];
    expect(resolveParam(rules, 'x.mlp.attn', 0.5)).toBe(0.5);
    expect(resolveParam(rules, 'x.attn', 0.5)).toBe(0.5);
    expect(resolveParam(rules, 'x.other', 0.5)).toBe(9);
    expect(matchesFilter('/layers\\.[02]\\./', 'model.layers.2.q')).toBe(true);
    expect(matchesFilter('/layers\\.[02]\\./', 'model.layers.1.q')).toBe(false);
  });
  it('validates recipes with messages naming the fault', () => {
    const r: Recipe = { ...defaultRecipe('ties'), params: { lambda: 1 }, roles: { models: [{ name: 'a', params: { density: 1.5 } }] } };
    expect(validateRecipe(r)).toEqual(['models[0].params.density = 1.5 is above 1']);
    expect(validateRecipe({ ...defaultRecipe('capvector'), exclude: ['/(/'] })[0]).toMatch(/bad regular expression/);
  });
});

describe('selection for TIES', () => {
  it('the streaming two-pass selection equals sorting', async () => {
    const n = 10_001;
    const f = Float32Array.from({ length: n }, (_, i) => Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1);
    f[17] = f[18] = f[19]; // duplicates
    const bits = new Uint32Array(f.buffer);
    const sorted = Float32Array.from(f).sort().reverse();
    for (const k of [1, 2, 500, 5000, 9999, n]) {
      const chunked = await kthFromChunks(async (visit) => {
        for (let i = 0; i < n; i += 777) visit(bits.subarray(i, i + 777));
      }, k);
      expect(chunked).toBe(sorted[k - 1]);
      const copy = bits.slice();
      expect(new Float32Array(new Uint32Array([selectKthLargest(copy, k)]).buffer)[0]).toBe(sorted[k - 1]);
    }
  });
});

describe('safetensors writer layout', () => {
  const tensors = Array.from({ length: 5 }, (_, i) => ({ name: `t${i}`, dtype: 'BF16' as const, shape: [100], byteLength: 200 }));
  it('shards greedily with the HF names, an index with total_size and weight_map, 8-byte aligned headers', () => {
    const lay = layoutSafetensors(tensors, { shardSize: 450, metadata: {}, hashes: [{ role: 'pre', name: 'p', sha256: null }] });
    expect(lay.shards.map((s) => s.name)).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(lay.shards.map((s) => s.tensors)).toEqual([[0, 1], [2, 3], [4]]);
    const index = JSON.parse(new TextDecoder().decode(lay.index!.bytes));
    expect(index.metadata.total_size).toBe(1000);
    expect(index.weight_map.t4).toBe('model-00003-of-00003.safetensors');
    for (const s of lay.shards) expect((s.header.length - 8) % 8).toBe(0);
    const header = new TextDecoder().decode(lay.shards[0].header.subarray(8));
    expect(header).toContain(HASH_PLACEHOLDER);
    const patched = withHashes(tensors, lay, { shardSize: 450, metadata: {}, hashes: [{ role: 'pre', name: 'p', sha256: 'ab'.repeat(32) }] });
    expect(patched.shards[0].header.length).toBe(lay.shards[0].header.length);
    expect(JSON.parse(JSON.parse(new TextDecoder().decode(patched.shards[0].header.subarray(8))).__metadata__['capvector.inputs'])[0].sha256).toBe('ab'.repeat(32));
  });
  it('a single file when shardSize is 0', () => {
    const lay = layoutSafetensors(tensors, { shardSize: 0, metadata: { a: 'b' }, hashes: [] });
    expect(lay.shards.length).toBe(1);
    expect(lay.index).toBeNull();
    expect(lay.shards[0].name).toBe('model.safetensors');
  });
});

describe('mergekit YAML', () => {
  const parse = (yaml: string) => {
    const r = spawnSync('/usr/bin/python3', ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: yaml, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  it('capvector = task_arithmetic with aux weight α and sft weight −α; excludes become zero-weight rules', () => {
    const r: Recipe = {
      ...defaultRecipe('capvector'), roles: { pre: 'org/pre', aux: 'org/aux-sf', sft: 'org/sft' },
      params: { alpha: [{ filter: 'mlp', value: [0.2, 0.8] }, { value: 0.5 }] }, exclude: ['norm', '/embed/'], outDtype: 'BF16',
    };
    const yaml = recipeToMergekitYaml(r);
    const y = parse(yaml);
    expect(y.merge_method).toBe('task_arithmetic');
    expect(y.base_model).toBe('org/pre');
    expect(y.models[0]).toEqual({ model: 'org/aux-sf', parameters: { weight: [{ filter: 'norm', value: 0 }, { filter: 'mlp', value: [0.2, 0.8] }, { value: 0.5 }] } });
    expect(y.models[1].parameters.weight[1]).toEqual({ filter: 'mlp', value: [-0.2, -0.8] });
    expect(y.models[1].parameters.weight[2]).toEqual({ value: -0.5 });
    expect(y.parameters.normalize).toBe(false);
    expect(y.out_dtype).toBe('bfloat16');
    expect(yaml).toMatch(/# NOTE: regex excludes \/embed\//);
  });
  it('ties, dare and linear as mergekit spells them', () => {
    const ties = parse(recipeToMergekitYaml({ ...defaultRecipe('ties'), roles: { pre: 'p', models: [{ name: 'a', params: { weight: 1, density: 0.5 } }, { name: 'b', params: { density: [0.2, 0.9] } }] } }));
    expect(ties.merge_method).toBe('ties');
    expect(ties.models[1].parameters).toEqual({ weight: 1, density: [0.2, 0.9] });
    expect(ties.parameters).toEqual({ normalize: true, lambda: 1 });
    const dare = parse(recipeToMergekitYaml({ ...defaultRecipe('dare'), params: { p: 0.3, ties: true, seed: 1, lambda: 1, normalize: false }, roles: { pre: 'p', models: [{ name: 'a' }] } }));
    expect(dare.merge_method).toBe('dare_ties');
    expect(dare.models[0].parameters.density).toBeCloseTo(0.7, 12);
    const perModel = parse(recipeToMergekitYaml({ ...defaultRecipe('dare'), params: { p: 0.3, seed: 1 }, roles: { pre: 'p', models: [{ name: 'a', params: { p: 0.8 } }, { name: 'b' }] } }));
    expect(perModel.models.map((m: { parameters: { density: number } }) => m.parameters.density)).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.7, 12)]);
    expect(recipeToMergekitYaml({ ...defaultRecipe('ties'), params: { normalize: false, lambda: 1 }, roles: { pre: 'p', models: [{ name: 'a' }] } })).not.toMatch(/NOTE: with normalize false/);
    const lin = parse(recipeToMergekitYaml({ ...defaultRecipe('linear'), roles: { models: [{ name: 'a', params: { weight: 2 } }, { name: 'b' }] } }, { keepDtype: 'F16' }));
    expect(lin).toMatchObject({ merge_method: 'linear', parameters: { normalize: true }, out_dtype: 'float16' });
    expect(lin.base_model).toBeUndefined();
  });
});
