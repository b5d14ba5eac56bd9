/**
 * PEFT's semantics on small in-memory adapters: rank_pattern / alpha_pattern keys as PEFT's
 * get_pattern_key matches them, the scale, the two files dropped without a folder, modules_to_save under
 * either saved name, DDP-style names lined up with the base, and each fault's one message.
 */
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { moduleScaling, parseLoraConfig, patternKey } from '../../../src/formats/lora-config';
import { openCheckpoints } from '../../../src/formats/registry';
import { resolveAdapter } from '../../../src/model/lora';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { runMerge } from '../../../src/merge/run';
import { join } from 'node:path';
import { adapterRoles } from '../../../src/merge/lora-sources';
import { alignCheckpoints } from '../../../src/model/align';
import { closeAll } from '../../../src/node/file-source';
import { openPaths } from '../../../src/node/paths';
import { LORA } from './lora-fixtures';
import { planMerge } from '../../../src/merge/plan';
import { defaultRecipe } from '../../../src/merge/recipe';

const enc = new TextEncoder();
const config = (o: Record<string, unknown> = {}) => JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj'], ...o });

/** A safetensors file of F32 zeros with these tensor shapes. */
function st(name: string, tensors: Record<string, number[]>) {
  let off = 0;
  const header: Record<string, unknown> = {};
  for (const [n, shape] of Object.entries(tensors)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[n] = { dtype: 'F32', shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  return bytesSource(name, buildSafetensors(header, off));
}

async function open(files: ReturnType<typeof st>[]) {
  const { checkpoints, errors } = await openCheckpoints(files);
  if (errors.length) throw errors[0];
  return checkpoints;
}

const base = () => st('base/model.safetensors', { 'model.layers.0.q_proj.weight': [6, 5], 'model.embed.weight': [7, 6], 'lm_head.weight': [7, 6] });
const q = (r = 4) => ({ 'base_model.model.model.layers.0.q_proj.lora_A.weight': [r, 5], 'base_model.model.model.layers.0.q_proj.lora_B.weight': [6, r] });

describe('PEFT LoRA semantics', () => {
  it('rank_pattern and alpha_pattern keys match a module name as a regex suffix, first key in file order', () => {
    expect(patternKey(['q_proj', 'layers.0.q_proj'], 'model.layers.0.q_proj')).toBe('q_proj');
    expect(patternKey(['layers.0.q_proj', 'q_proj'], 'model.layers.0.q_proj')).toBe('layers.0.q_proj');
    expect(patternKey(['q_proj'], 'model.layers.0.xq_proj')).toBeUndefined(); // a whole name part, not any suffix
    expect(patternKey(['^model.layers.0.q_proj'], 'model.layers.0.q_proj')).toBe('^model.layers.0.q_proj'); // Python's re anchors ^ there too
    expect(patternKey(['layers\\.[01]\\.q_proj'], 'model.layers.1.q_proj')).toBe('layers\\.[01]\\.q_proj');
    expect(patternKey(['model.layers.0.q_proj'], 'model.layers.0.q_proj')).toBe('model.layers.0.q_proj'); // the whole name
    const cfg = parseLoraConfig(config({ rank_pattern: { 'layers.1.q_proj': 2 }, alpha_pattern: { q_proj: 3 }, use_rslora: true }), 'adapter_config.json');
    expect(moduleScaling(cfg, 'model.layers.0.q_proj')).toEqual({ r: 4, alpha: 3, scale: 1.5 });
    expect(moduleScaling(cfg, 'model.layers.1.q_proj')).toEqual({ r: 2, alpha: 3, scale: 3 / Math.SQRT2 });
    expect(moduleScaling(parseLoraConfig(config(), 'c'), 'x.q_proj').scale).toBe(2);
  });

  it('the two files dropped without a folder open as one adapter', async () => {
    const cks = await open([bytesSource('adapter_config.json', enc.encode(config())), st('adapter_model.safetensors', q())]);
    expect(cks.map((c) => [c.name, c.format, c.files])).toEqual([['adapter_model.safetensors', 'lora', ['adapter_model.safetensors', 'adapter_config.json']]]);
  });

  it('modules_to_save under PEFT\'s saved name or as modules_to_save.<adapter>, and DDP-style base names', async () => {
    const [b, a1, a2] = await open([
      base(),
      bytesSource('a1/adapter_config.json', enc.encode(config({ modules_to_save: ['lm_head'] }))),
      st('a1/adapter_model.safetensors', { ...q(), 'base_model.model.lm_head.weight': [7, 6] }),
      bytesSource('a2/adapter_config.json', enc.encode(config({ modules_to_save: ['lm_head'] }))),
      st('a2/adapter_model.safetensors', { ...q(), 'base_model.model.lm_head.modules_to_save.default.weight': [7, 6] }),
    ]);
    for (const a of [a1, a2]) {
      const on = resolveAdapter(a, b);
      expect([...on.updates.keys()]).toEqual(['model.layers.0.q_proj.weight']);
      expect(on.updates.get('model.layers.0.q_proj.weight')).toMatchObject({ rank: 4, scale: 2, transpose: false, module: 'model.layers.0.q_proj' });
      expect([...on.replaced.keys()]).toEqual(['lm_head.weight']);
    }
    const [ddp] = await open([st('ddp/pytorch_model.safetensors', { 'module.model.layers.0.q_proj.weight': [6, 5], 'module.lm_head.weight': [7, 6] })]);
    expect([...resolveAdapter(a1, ddp).updates.keys()]).toEqual(['module.model.layers.0.q_proj.weight']);
  });

  it('faults: one message naming the adapter file', async () => {
    const [b] = await open([base()]);
    const adapter = async (cfg: string, tensors: Record<string, number[]>) =>
      (await open([bytesSource('x/adapter_config.json', enc.encode(cfg)), st('x/adapter_model.safetensors', tensors)]))[0];
    const fault = async (cfg: string, tensors: Record<string, number[]>) => {
      try {
        resolveAdapter(await adapter(cfg, tensors), b, 'θ_pre (base)');
      } catch (e) {
        return (e as Error).message;
      }
      return 'no fault';
    };
    expect(await fault(config({ r: 8 }), q())).toBe("x/adapter_model.safetensors: module 'model.layers.0.q_proj': its factors have rank 4 but adapter_config.json gives r = 8");
    expect(await fault(config(), { 'base_model.model.model.layers.0.q_proj.lora_A.weight': [4, 5] })).toBe("x/adapter_model.safetensors: module 'model.layers.0.q_proj' has lora_A but no lora_B");
    expect(await fault(config(), { ...q(), 'base_model.model.model.layers.0.q_proj.lora_B.bias': [6] })).toBe("x/adapter_model.safetensors: 'base_model.model.model.layers.0.q_proj.lora_B.bias' is a LoRA bias (lora_bias), which is not supported");
    expect(await fault(config(), { 'base_model.model.model.layers.0.k_proj.lora_A.weight': [4, 5], 'base_model.model.model.layers.0.k_proj.lora_B.weight': [6, 4] }))
      .toBe("x/adapter_model.safetensors: module 'model.layers.0.k_proj' updates 'model.layers.0.k_proj.weight', which θ_pre (base) does not have");
    expect(await fault(config(), { 'base_model.model.model.layers.0.q_proj.lora_A.weight': [4, 7], 'base_model.model.model.layers.0.q_proj.lora_B.weight': [6, 4] }))
      .toBe("x/adapter_model.safetensors: module 'model.layers.0.q_proj': its factors (A [4, 7], B [6, 4]) make a [6, 7] update, but θ_pre (base)'s 'model.layers.0.q_proj.weight' is [6, 5]");
    expect(await fault(config(), { ...q(), 'base_model.model.model.layers.0.q_proj.lora_magnitude_vector': [6] })).toBe("x/adapter_model.safetensors: DoRA adapters are not supported ('base_model.model.model.layers.0.q_proj.lora_magnitude_vector' is a magnitude vector: DoRA rescales each column of W + ΔW)");
    await expect(open([bytesSource('y/adapter_config.json', enc.encode('{"peft_type": "LORA"}')), st('y/adapter_model.safetensors', q())])).rejects.toThrow('y/adapter_config.json: adapter_config.json: r is not a positive integer');
    await expect(open([bytesSource('z/adapter_config.json', enc.encode(config()))])).rejects.toThrow('z/adapter_config.json: no adapter_model.safetensors or adapter_model.bin beside it');
  });

  it('the alignment report reads adapter roles as θ_pre + ΔW, or against each other without θ_pre', async () => {
    const [pre, plain, patterns, embedding] = await openPaths(['pre-bf16', 'plain', 'patterns', 'embedding'].map((p) => join(LORA, p)));
    const withPre = adapterRoles({ pre, aux: plain, sft: patterns });
    expect(withPre.adapters).toEqual([
      { role: 'aux', name: 'plain', updated: 4, replaced: 0, onPre: true, fault: null },
      { role: 'sft', name: 'patterns', updated: 6, replaced: 0, onPre: true, fault: null },
    ]);
    expect(alignCheckpoints(withPre.byRole).issues).toEqual([]);
    const alone = adapterRoles({ aux: plain, sft: patterns });
    expect(alone.adapters.map((a) => [a.updated, a.onPre, a.fault])).toEqual([[4, false, null], [6, false, null]]);
    expect(alone.byRole.aux.tensors.map((t) => t.name)).toEqual(alone.byRole.sft.tensors.map((t) => t.name));
    expect(alone.byRole.aux.tensors.length).toBe(6);
    expect(adapterRoles({ aux: embedding, sft: plain }).adapters[0].fault).toBe('embedding is a LoRA adapter: it needs a full θ_pre');
    expect(adapterRoles({ pre: plain, aux: embedding }).adapters[0].fault).toBe('plain is a LoRA adapter: θ_pre must be a full checkpoint');
    await closeAll();
  });
});

describe('a modules_to_save tensor shaped unlike θ_pre’s (a resized vocabulary)', () => {
  const adapterFiles = () => [
    bytesSource('v/adapter_config.json', enc.encode(config({ modules_to_save: ['lm_head'] }))),
    st('v/adapter_model.safetensors', { ...q(), 'base_model.model.lm_head.weight': [9, 6] }),
  ];

  for (const role of ['vector', 'aux'] as const) {
    it(`as ${role}: a shape mismatch naming the tensor (nothing read at θ_pre’s shape from a tensor of another)`, async () => {
      const [b, a] = await open([base(), ...adapterFiles()]);
      const method = role === 'vector' ? 'apply' : 'capvector';
      const inputs = role === 'vector' ? { pre: b, vector: a } : { pre: b, aux: a, sft: b };
      try {
        planMerge({ ...defaultRecipe(method), params: { alpha: 1 } }, inputs);
        expect.unreachable('planMerge accepted an lm_head of [9, 6] for one of [7, 6]');
      } catch (e) {
        expect((e as { issues: unknown[] }).issues).toEqual([{ name: 'lm_head.weight', kind: 'shape', detail: role === 'vector' ? 'pre [7, 6] vs vector [9, 6]' : 'pre [7, 6] vs aux [9, 6] vs sft [7, 6]' }]);
      }
    });
  }
});

describe('pattern keys JavaScript cannot compile', () => {
  it('are refused naming the file and the key (they matched nothing: a module fell silently to lora_alpha’s scale)', () => {
    // Python's named group: PEFT compiles it, JavaScript's RegExp does not.
    expect(() => parseLoraConfig(config({ alpha_pattern: { '(?P<m>v_proj)': 3 } }), 'a/adapter_config.json'))
      .toThrow("a/adapter_config.json: alpha_pattern key '(?P<m>v_proj)' is a regular expression this reader cannot compile (");
    expect(() => parseLoraConfig(config({ rank_pattern: { 'q_proj[': 2 } }), 'a/adapter_config.json')).toThrow("rank_pattern key 'q_proj['");
  });
});

describe('factors holding NaN or ∞', () => {
  it('stop the merge with one message naming the adapter file, the tensor and the element (no NaN-filled rows written)', async () => {
    const a = Array.from({ length: 4 * 5 }, (_, i) => 0.01 * i);
    const b = Array.from({ length: 6 * 4 }, (_, i) => (i === 9 ? NaN : -0.02 * i));
    const header = {
      'base_model.model.model.layers.0.q_proj.lora_A.weight': { dtype: 'F32', shape: [4, 5], data_offsets: [0, 80] },
      'base_model.model.model.layers.0.q_proj.lora_B.weight': { dtype: 'F32', shape: [6, 4], data_offsets: [80, 176] },
    };
    const [pre, vector] = await open([base(), bytesSource('n/adapter_config.json', enc.encode(config())), bytesSource('n/adapter_model.safetensors', buildSafetensors(header, f32Bytes([...a, ...b])))]);
    const engine = new CpuEngine();
    try {
      await expect(runMerge({ ...defaultRecipe('apply'), params: { alpha: 1 } }, { pre, vector }, { engine, sink: memorySink() }))
        .rejects.toThrow("n/adapter_model.safetensors: 'base_model.model.model.layers.0.q_proj.lora_B.weight' holds NaN (element 9)");
    } finally {
      engine.dispose();
    }
  });
});

describe('flags of another type than true/false', () => {
  it('are refused naming the field (PEFT reads any non-empty string as true: "false" would turn rsLoRA on there)', () => {
    for (const field of ['use_rslora', 'fan_in_fan_out', 'use_dora']) {
      expect(() => parseLoraConfig(config({ [field]: 'false' }), 'f/adapter_config.json'), field).toThrow(`f/adapter_config.json: adapter_config.json: ${field} is not true or false (got "false")`);
    }
    expect(parseLoraConfig(config({ use_rslora: null, fan_in_fan_out: false }), 'f').useRslora).toBe(false);
  });
});

describe('lora_alpha', () => {
  it("absent is PEFT's default 8; null is refused (PEFT cannot scale by None), not read as 8", () => {
    expect(parseLoraConfig(JSON.stringify({ peft_type: 'LORA', r: 4 }), 'c').loraAlpha).toBe(8);
    expect(() => parseLoraConfig(config({ lora_alpha: null }), 'c/adapter_config.json')).toThrow('c/adapter_config.json: adapter_config.json: lora_alpha is not a number');
  });
});

describe('fan_in_fan_out as PEFT applies it: by the module, not the config alone', () => {
  it("a weight stored [out, in] (nn.Linear) takes B·A, one stored [in, out] (Conv1D) (B·A)ᵀ, whatever the flag; a square one follows the flag", async () => {
    const files = (dir: string, fiFo: boolean, tensors: Record<string, number[]>) => [bytesSource(`${dir}/adapter_config.json`, enc.encode(config({ fan_in_fan_out: fiFo }))), st(`${dir}/adapter_model.safetensors`, tensors)];
    const lin = { ...q() };
    const conv = { 'base_model.model.h.0.c_attn.lora_A.weight': [4, 5], 'base_model.model.h.0.c_attn.lora_B.weight': [6, 4] };
    const sq = { 'base_model.model.h.0.c_proj.lora_A.weight': [4, 5], 'base_model.model.h.0.c_proj.lora_B.weight': [5, 4] };
    const [b, gpt] = await open([base(), st('gpt/model.safetensors', { 'h.0.c_attn.weight': [5, 6], 'h.0.c_proj.weight': [5, 5] })]);
    const [linT] = await open(files('l', true, lin));
    // PEFT: "fan_in_fan_out is set to True but the target module is `torch.nn.Linear`. Setting fan_in_fan_out to False."
    expect(resolveAdapter(linT, b).updates.get('model.layers.0.q_proj.weight')!.transpose).toBe(false);
    for (const fiFo of [false, true]) {
      const [c] = await open(files(`c${fiFo}`, fiFo, { ...conv, ...sq }));
      const u = resolveAdapter(c, gpt).updates;
      // "… the target module is `Conv1D`. Setting fan_in_fan_out to True."
      expect(u.get('h.0.c_attn.weight')!.transpose, String(fiFo)).toBe(true);
      expect(u.get('h.0.c_proj.weight')!.transpose, String(fiFo)).toBe(fiFo);
    }
  });
});

describe('two adapters without θ_pre (extract), a convolution among their modules', () => {
  it('line up under a fan_in_fan_out config too (PEFT applies it to Conv1D only, never to a convolution)', async () => {
    const conv = { 'base_model.model.patch.proj.lora_A.weight': [2, 3, 4, 4], 'base_model.model.patch.proj.lora_B.weight': [8, 2, 1, 1] };
    const [a, s] = await open([
      bytesSource('a/adapter_config.json', enc.encode(config({ r: 2, fan_in_fan_out: true }))), st('a/adapter_model.safetensors', conv),
      bytesSource('s/adapter_config.json', enc.encode(config({ r: 2, fan_in_fan_out: true }))), st('s/adapter_model.safetensors', conv),
    ]);
    const plan = planMerge({ ...defaultRecipe('extract') }, { aux: a, sft: s });
    expect(plan.tensors.map((t) => [t.name, t.shape])).toEqual([['patch.proj.weight', [8, 3, 4, 4]]]);
  });
});
