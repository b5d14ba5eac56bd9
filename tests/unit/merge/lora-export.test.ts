/**
 * γ as a PEFT LoRA adapter (src/merge/lora/*) against tests/fixtures/lora-export/golden.json, made by
 * tests/fixtures/make_lora_export_golden.py with torch.linalg.svd in float64. The written files are
 * read back here by a separate parser (the safetensors header by hand, float32 by DataView), γ is formed
 * here from the fixture's own bytes, and ΔW = s·B·A (transposed for an embedding) follows PEFT's rules,
 * all in float64, independently of the code under test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { exportLora, type LoraExportResult } from '../../../src/merge/lora/export';
import { adapterConfig } from '../../../src/merge/lora/peft';
import { memorySink, type MemorySink } from '../../../src/merge/memory-sink';
import { runMerge } from '../../../src/merge/run';
import type { MergeInputs, Recipe } from '../../../src/merge/types';
import { openPaths } from '../../../src/node/paths';

const DIR = join(__dirname, '../../fixtures/lora-export');
interface GoldenTensor {
  name: string;
  kind: string;
  shape: number[];
  matrix?: [number, number];
  sigma?: number[];
  frobeniusSq?: number;
  eckartYoung?: number[];
  energyRank?: Record<string, number>;
  gammaR?: number[];
}
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as { rank: number; tensors: GoldenTensor[] };
const R = golden.rank;
const recipe: Recipe = { method: 'extract', roles: { aux: 'aux', sft: 'sft' }, params: {}, outDtype: 'keep', shardSize: 0 };

/** A safetensors file parsed by hand: name → {dtype, shape, bytes}. */
function parseSt(bytes: Uint8Array): Map<string, { dtype: string; shape: number[]; data: Uint8Array }> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, { dtype: string; shape: number[]; data: Uint8Array }>();
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__') continue;
    out.set(k, { dtype: v.dtype, shape: v.shape, data: bytes.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]) });
  }
  return out;
}
function f32(data: Uint8Array): Float64Array {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Float64Array.from({ length: data.length / 4 }, (_, i) => dv.getFloat32(i * 4, true));
}
const aux = parseSt(new Uint8Array(readFileSync(join(DIR, 'aux.safetensors'))));
const sft = parseSt(new Uint8Array(readFileSync(join(DIR, 'sft.safetensors'))));
/** γ in the tensor's own row-major layout, float64. */
function gammaOf(name: string): Float64Array {
  const a = f32(aux.get(name)!.data), s = f32(sft.get(name)!.data);
  return a.map((x, i) => x - s[i]);
}

/** PEFT's ΔW for a module, in the weight's own layout ([out, in·k…], or [vocab, dim] for an embedding). */
function deltaW(st: ReturnType<typeof parseSt>, config: Record<string, unknown>, g: GoldenTensor): Float64Array {
  const module = g.name.slice(0, -'.weight'.length);
  const emb = g.kind === 'embedding';
  const A = st.get(`base_model.model.${module}.${emb ? 'lora_embedding_A' : 'lora_A.weight'}`)!;
  const B = st.get(`base_model.model.${module}.${emb ? 'lora_embedding_B' : 'lora_B.weight'}`)!;
  const rankPattern = config.rank_pattern as Record<string, number>;
  const alphaPattern = config.alpha_pattern as Record<string, number>;
  const r = rankPattern[module] ?? (config.r as number);
  const s = (alphaPattern[module] ?? (config.lora_alpha as number)) / r;
  const a = f32(A.data), b = f32(B.data);
  const rows = B.shape[0];
  const cols = a.length / r;
  expect(A.shape[0]).toBe(r);
  expect(B.shape[1]).toBe(r);
  const ba = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < r; c++) for (let j = 0; j < cols; j++) ba[i * cols + j] += s * b[i * r + c] * a[c * cols + j];
  if (!emb) return ba;
  const t = new Float64Array(ba.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = ba[i * cols + j];
  return t;
}
const frob = (x: ArrayLike<number>, y?: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - (y ? y[i] : 0)) ** 2;
  return Math.sqrt(s);
};
/** γ_R of the golden (in the factored orientation) back in the weight's layout. */
function gammaRInWeightLayout(g: GoldenTensor): Float64Array {
  const v = Float64Array.from(g.gammaR!);
  if (g.kind !== 'embedding') return v;
  const [rows, cols] = g.matrix!;
  const t = new Float64Array(v.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
  return t;
}

async function exportWith(opts: { energy?: number; powerIterations?: number } = {}): Promise<{ sink: MemorySink; result: LoraExportResult; inputs: MergeInputs }> {
  const [a, s] = await openPaths([join(DIR, 'aux.safetensors'), join(DIR, 'sft.safetensors')]);
  const inputs: MergeInputs = { aux: a, sft: s };
  const sink = memorySink();
  const engine = new CpuEngine();
  try {
    const result = await exportLora({ recipe, inputs, engine, sink, maxRank: R, ...opts });
    return { sink, result, inputs };
  } finally {
    engine.dispose();
  }
}

describe('LoRA export of γ at rank R', () => {
  let sink: MemorySink;
  let result: LoraExportResult;
  let inputs: MergeInputs;
  let st: ReturnType<typeof parseSt>;
  let config: Record<string, unknown>;
  beforeAll(async () => {
    ({ sink, result, inputs } = await exportWith());
    st = parseSt(sink.files.get('adapter_model.safetensors')!);
    config = JSON.parse(new TextDecoder().decode(sink.files.get('adapter_config.json')!));
  });
  const lora = golden.tensors.filter((t) => ['linear', 'conv', 'embedding'].includes(t.kind));

  it('writes the four files, and the report file says what the result says', () => {
    expect([...sink.files.keys()].sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'gamma_dense.safetensors', 'lora-report.json']);
    const rep = JSON.parse(new TextDecoder().decode(sink.files.get('lora-report.json')!));
    expect(rep.tensors).toEqual(JSON.parse(JSON.stringify(result.tensors)));
    expect(rep.totals.adapterBytes).toBe(sink.files.get('adapter_model.safetensors')!.length);
  });

  it("names and shapes are PEFT's, float32, and nothing else is in the adapter", () => {
    const expected: Record<string, number[]> = {
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight': [R, 40],
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight': [48, R],
      'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight': [R, 64],
      'base_model.model.model.layers.0.mlp.up_proj.lora_B.weight': [96, R],
      'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight': [R, 96],
      'base_model.model.model.layers.0.mlp.down_proj.lora_B.weight': [64, R],
      // γ of gate_proj has rank 3 exactly (plus noise), but R = 4 is kept: the noise is part of γ.
      'base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight': [R, 40],
      'base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight': [12, R],
      'base_model.model.model.embed_tokens.lora_embedding_A': [R, 100],
      'base_model.model.model.embed_tokens.lora_embedding_B': [24, R],
      'base_model.model.vision.patch_embed.proj.lora_A.weight': [R, 3, 4, 4],
      'base_model.model.vision.patch_embed.proj.lora_B.weight': [16, R, 1, 1],
    };
    expect(Object.fromEntries([...st].map(([k, v]) => [k, v.shape]))).toEqual(expected);
    for (const v of st.values()) expect(v.dtype).toBe('F32');
  });

  it("adapter_config.json is PEFT's LoraConfig with scale 1 everywhere", () => {
    expect(config).toEqual({
      peft_type: 'LORA', task_type: null, base_model_name_or_path: null, revision: null, inference_mode: true,
      r: R, lora_alpha: R, lora_dropout: 0,
      target_modules: ['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.up_proj', 'model.layers.0.mlp.down_proj', 'model.layers.0.mlp.gate_proj', 'model.embed_tokens', 'vision.patch_embed.proj'],
      rank_pattern: {}, alpha_pattern: {}, fan_in_fan_out: false, bias: 'none', modules_to_save: null, init_lora_weights: true,
      layers_to_transform: null, layers_pattern: null, use_rslora: false, use_dora: false,
    });
  });

  it('each matrix is within 5% of the Eckart–Young error (1% where the spectrum has a gap, 1e-6 where the SVD is exact), never below it', () => {
    for (const g of lora) {
      const err = frob(gammaOf(g.name), deltaW(st, config, g));
      const ey = g.eckartYoung![R];
      const rep = result.tensors.find((t) => t.name === g.name)!;
      expect(err / ey, g.name).toBeGreaterThanOrEqual(1 - 1e-6);
      const bound = rep.exactSvd ? 1 + 1e-6 : g.gammaR ? 1.01 : 1.05;
      expect(err / ey, g.name).toBeLessThanOrEqual(bound);
      // The report's error is the error of what was written.
      expect(rep.error! / err, g.name).toBeCloseTo(1, 6);
      expect(rep.energyKept!, g.name).toBeCloseTo(1 - ey ** 2 / g.frobeniusSq!, 2);
    }
    // The randomised path is the one under test for the larger matrices; the small one is exact.
    const exact = Object.fromEntries(result.tensors.filter((t) => t.exactSvd !== undefined).map((t) => [t.name, t.exactSvd]));
    expect(exact['model.layers.0.mlp.up_proj.weight']).toBe(false);
    expect(exact['model.layers.0.mlp.down_proj.weight']).toBe(false);
    expect(exact['model.layers.0.mlp.gate_proj.weight']).toBe(true);
  });

  it("s·B·A reproduces torch's γ_R (U_R·Σ_R·V_Rᵀ) where the spectrum has a gap at R", () => {
    const withGap = lora.filter((g) => g.gammaR);
    expect(withGap.length).toBeGreaterThanOrEqual(4);
    for (const g of withGap) {
      const ref = gammaRInWeightLayout(g);
      expect(frob(deltaW(st, config, g), ref) / frob(ref), g.name).toBeLessThan(2e-3);
    }
  });

  it('a zero γ matrix gets no LoRA layer and is reported as zero', () => {
    const z = result.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight')!;
    expect(z).toMatchObject({ kind: 'zero', rank: 0, bytes: 0 });
    expect(config.target_modules).not.toContain('model.layers.0.self_attn.k_proj');
  });

  it('the side file holds every tensor not factored, bit for bit what the dense extract writes', async () => {
    const dense = golden.tensors.filter((t) => t.kind === 'dense').map((t) => t.name);
    const side = parseSt(sink.files.get('gamma_dense.safetensors')!);
    expect([...side.keys()].sort()).toEqual([...dense].sort());
    expect(result.tensors.filter((t) => t.kind === 'dense').map((t) => t.name).sort()).toEqual([...dense].sort());
    const full = memorySink();
    const engine = new CpuEngine();
    try {
      await runMerge(recipe, inputs, { engine, sink: full, fileName: 'gamma.safetensors' });
    } finally {
      engine.dispose();
    }
    const whole = parseSt(full.files.get('gamma.safetensors')!);
    for (const n of dense) {
      expect(side.get(n)!.shape).toEqual(whole.get(n)!.shape);
      expect(side.get(n)!.dtype).toBe(whole.get(n)!.dtype);
      expect(Buffer.from(side.get(n)!.data).equals(Buffer.from(whole.get(n)!.data)), n).toBe(true);
    }
    // …and that is γ: f32(aux − sft).
    for (const n of dense) {
      const g = gammaOf(n);
      expect(Array.from(f32(side.get(n)!.data))).toEqual(Array.from(g, (x) => Math.fround(x)));
    }
  });

  it('every tensor of γ is accounted for, and the sizes add up', () => {
    expect(result.tensors.map((t) => t.name)).toEqual(golden.tensors.map((t) => t.name));
    expect(result.tensors.map((t) => t.kind)).toEqual(golden.tensors.map((t) => t.kind));
    const denseGamma = golden.tensors.reduce((s, t) => s + 4 * t.shape.reduce((a, b) => a * b, 1), 0);
    expect(result.totals.denseGammaBytes).toBe(denseGamma);
    expect(result.tensors.reduce((s, t) => s + t.bytes, 0)).toBe([...st.values()].reduce((s, v) => s + v.data.length, 0) + result.tensors.filter((t) => t.kind === 'dense').reduce((s, t) => s + t.bytes, 0));
  });
});

describe('LoRA export with an energy target', () => {
  it("each module's rank is the smallest keeping 90% of ‖γ‖²_F (capped at R), differing ranks in rank_pattern/alpha_pattern", async () => {
    const { sink, result } = await exportWith({ energy: 0.9 });
    const config = JSON.parse(new TextDecoder().decode(sink.files.get('adapter_config.json')!));
    const st = parseSt(sink.files.get('adapter_model.safetensors')!);
    const want: Record<string, number> = {};
    for (const g of golden.tensors) if (['linear', 'conv', 'embedding'].includes(g.kind)) want[g.name.slice(0, -'.weight'.length)] = Math.min(R, g.energyRank!['0.9']);
    const maxRank = Math.max(...Object.values(want));
    expect(config.r).toBe(maxRank);
    expect(config.lora_alpha).toBe(maxRank);
    const pattern = Object.fromEntries(Object.entries(want).filter(([, r]) => r !== maxRank));
    expect(Object.keys(pattern).length).toBeGreaterThan(2);
    expect(config.rank_pattern).toEqual(pattern);
    expect(config.alpha_pattern).toEqual(pattern);
    for (const [module, r] of Object.entries(want)) {
      const t = result.tensors.find((x) => x.name === `${module}.weight`)!;
      expect(t.rank, module).toBe(r);
      // Capped at R, a flat spectrum (down_proj's noise) keeps less than q: the cap wins.
      const g = golden.tensors.find((x) => x.name === `${module}.weight`)!;
      if (g.energyRank!['0.9'] <= R) expect(t.energyKept!, module).toBeGreaterThanOrEqual(0.9);
      else expect(t.energyKept!, module).toBeLessThan(0.9);
      const a = st.get(`base_model.model.${module}.lora_A.weight`) ?? st.get(`base_model.model.${module}.lora_embedding_A`)!;
      expect(a.shape[0], module).toBe(r);
    }
    // With scale 1 the error at rank r is again the Eckart–Young error at r.
    for (const g of golden.tensors.filter((x) => x.eckartYoung && x.kind !== 'zero')) {
      const t = result.tensors.find((x) => x.name === g.name)!;
      expect(t.error! / g.eckartYoung![t.rank!], g.name).toBeLessThan(1.05);
    }
  });

  it('refuses a rank below 1 and an energy outside (0, 1], leaving nothing behind', async () => {
    const [a, s] = await openPaths([join(DIR, 'aux.safetensors'), join(DIR, 'sft.safetensors')]);
    const engine = new CpuEngine();
    try {
      for (const bad of [{ maxRank: 0 }, { maxRank: 4, energy: 1.5 }, { maxRank: 4, energy: 0 }]) {
        const sink = memorySink();
        await expect(exportLora({ recipe, inputs: { aux: a, sft: s }, engine, sink, ...bad })).rejects.toThrow(/LoRA (rank|energy)/);
        expect(sink.files.size).toBe(0);
      }
      const ac = new AbortController();
      ac.abort();
      const sink = memorySink();
      await expect(exportLora({ recipe, inputs: { aux: a, sft: s }, engine, sink, maxRank: 4, signal: ac.signal })).rejects.toThrow(/cancelled|abort/i);
      expect(sink.files.size).toBe(0);
      expect(sink.aborted).toBe(true);
    } finally {
      engine.dispose();
    }
  });
});

describe('adapter_config.json rank patterns', () => {
  /** PEFT's lookup (get_pattern_key): the first key k in order with re.match("(.*\.)?(k)$", name), else r. */
  const rankOf = (config: Record<string, unknown>, name: string) => {
    for (const [k, v] of Object.entries(config.rank_pattern as Record<string, number>)) if (new RegExp(`^(.*\\.)?(${k})$`).test(name)) return v;
    return config.r as number;
  };
  it('every module gets its own rank under PEFT’s lookup, also where one module name ends in another', () => {
    for (const modules of [
      [{ module: 'a.q', rank: 4 }, { module: 'b.q', rank: 2 }, { module: 'lm_head', rank: 3 }],
      [{ module: 'm.layers.0.q', rank: 2 }, { module: 'vision.m.layers.0.q', rank: 4 }, { module: 'k', rank: 4 }],
      [{ module: 'm.layers.0.q', rank: 4 }, { module: 'vision.m.layers.0.q', rank: 2 }, { module: 'x.vision.m.layers.0.q', rank: 4 }],
    ]) {
      const config = adapterConfig(modules);
      expect(config.r).toBe(Math.max(...modules.map((m) => m.rank)));
      for (const m of modules) expect(rankOf(config, m.module), m.module).toBe(m.rank);
      expect(config.alpha_pattern).toEqual(config.rank_pattern);
    }
    // Without nesting, only the modules whose rank differs from r are listed.
    expect(adapterConfig([{ module: 'a.q', rank: 4 }, { module: 'b.q', rank: 2 }]).rank_pattern).toEqual({ 'b.q': 2 });
  });
});
