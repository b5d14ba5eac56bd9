/**
 * γ exported as a LoRA adapter (src/merge/lora/export.ts) from inputs the plain test does not cover:
 * θ_aux and θ_sft given as LoRA adapters (γ = ΔW_a − ΔW_s, read through the lora op), checked against
 * torch's γ of make_lora_golden.py (expected/extract-adapters.safetensors); and the side file of dense
 * tensors, which must stream to the sink chunk by chunk (a JAX checkpoint's kernels are not `.weight`
 * modules, so nearly all of γ can land there: it must never be held whole).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { exportLora } from '../../../src/merge/lora/export';
import { memorySink } from '../../../src/merge/memory-sink';
import type { OutputSink, Recipe } from '../../../src/merge/types';
import { openPaths } from '../../../src/node/paths';
import { buildSafetensors, f32Bytes } from '../formats/st-builder';
import { openMemory } from './golden-helpers';

const LORA = join(__dirname, '../../fixtures/lora');
const recipe: Recipe = { method: 'extract', roles: { aux: 'aux', sft: 'sft' }, params: {}, outDtype: 'keep', shardSize: 0 };
const tmp = mkdtempSync(join(tmpdir(), 'capvector-lora-export-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('LoRA export from other inputs', () => {
  it('θ_aux and θ_sft as adapters: s·B·A of the export is torch’s γ = ΔW_a − ΔW_s (rank ≤ 4 + 6, so rank 12 keeps all of it)', async () => {
    const [a, s] = await openPaths([join(LORA, 'plain'), join(LORA, 'patterns')]);
    const sink = memorySink();
    const engine = new CpuEngine();
    try {
      await exportLora({ recipe, inputs: { aux: a, sft: s }, engine, sink, maxRank: 12 });
    } finally {
      engine.dispose();
    }
    const adapter = await openMemory(new Map([['factors.safetensors', sink.files.get('adapter_model.safetensors')!]]));
    const config = JSON.parse(new TextDecoder().decode(sink.files.get('adapter_config.json')!)) as { r: number; lora_alpha: number; rank_pattern: Record<string, number>; alpha_pattern: Record<string, number> };
    const [want] = await openPaths([join(LORA, 'expected', 'extract-adapters.safetensors')]);
    let checked = 0;
    for (const w of want.tensors) {
      const module = w.name.slice(0, -'.weight'.length);
      const A = adapter.tensors.find((t) => t.name === `base_model.model.${module}.lora_A.weight`);
      const B = adapter.tensors.find((t) => t.name === `base_model.model.${module}.lora_B.weight`);
      const g = Float64Array.from(await readTensorF32(w));
      const norm = Math.sqrt(g.reduce((x, v) => x + v * v, 0));
      if (norm === 0) continue;
      expect(A && B, w.name).toBeTruthy();
      const r = config.rank_pattern[module] ?? config.r;
      const scale = (config.alpha_pattern[module] ?? config.lora_alpha) / r;
      const [rows, cols] = w.shape;
      const fa = await readTensorF32(A!), fb = await readTensorF32(B!);
      let err = 0;
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          let d = 0;
          for (let c = 0; c < r; c++) d += fb[i * r + c] * fa[c * cols + j];
          err += (scale * d - g[i * cols + j]) ** 2;
        }
      }
      expect(Math.sqrt(err) / norm, w.name).toBeLessThan(1e-5);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });

  it('the side file of dense tensors reaches the sink chunk by chunk, never as one whole buffer', async () => {
    // A scanned JAX kernel (not a `.weight` module: written dense) of 4096 elements, and one linear weight.
    const shapes: Record<string, number[]> = { 'llm.layers.mlp.gating_einsum': [4, 32, 32], 'llm.proj.weight': [8, 6] };
    const paths = ['aux', 'sft'].map((role, k) => {
      let off = 0;
      const header: Record<string, unknown> = {};
      const vals: number[] = [];
      for (const [n, sh] of Object.entries(shapes)) {
        const len = sh.reduce((x, y) => x * y, 1);
        header[n] = { dtype: 'F32', shape: sh, data_offsets: [off * 4, (off + len) * 4] };
        for (let i = 0; i < len; i++) vals.push(Math.sin(i * (k + 1.3)));
        off += len;
      }
      const p = join(tmp, `${role}.safetensors`);
      writeFileSync(p, buildSafetensors(header, f32Bytes(vals)));
      return p;
    });
    const [a, s] = await openPaths(paths);
    const inner = memorySink();
    const writes = new Map<string, number[]>();
    const sink: OutputSink = {
      async createFile(name, size) {
        const f = await inner.createFile(name, size);
        writes.set(name, []);
        return { ...f, write: (b: Uint8Array) => (writes.get(name)!.push(b.length), f.write(b)) };
      },
      commit: () => inner.commit(),
      abort: () => inner.abort(),
    };
    const engine = new CpuEngine();
    try {
      await exportLora({ recipe, inputs: { aux: a, sft: s }, engine, sink, maxRank: 2, chunkElements: 256 });
    } finally {
      engine.dispose();
    }
    const side = inner.files.get('gamma_dense.safetensors')!;
    expect(side.length).toBeGreaterThan(4096 * 4);
    const w = writes.get('gamma_dense.safetensors')!;
    expect(w.reduce((x, y) => x + y, 0)).toBe(side.length);
    expect(Math.max(...w)).toBeLessThanOrEqual(Math.max(256 * 4, side.length - 4096 * 4));
    // What was streamed is the extract of that tensor: aux − sft.
    const ck = await openMemory(new Map([['gamma_dense.safetensors', side]]));
    const got = await readTensorF32(ck.tensors.find((t) => t.name === 'llm.layers.mlp.gating_einsum')!);
    const [x, y] = await Promise.all([a, s].map((c) => readTensorF32(c.tensors.find((t) => t.name === 'llm.layers.mlp.gating_einsum')!)));
    expect(Array.from(got)).toEqual(Array.from(x, (v, i) => Math.fround(v - y[i])));
  });
});
