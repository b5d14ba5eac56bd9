/**
 * Merges whose roles are PEFT LoRA adapters, against float64 PyTorch references rounded once
 * (tests/fixtures/make_lora_golden.py: adapters in PEFT's on-disk layout — plain, rsLoRA,
 * rank_pattern/alpha_pattern, fan_in_fan_out, an embedding with modules_to_save, bf16 and f32 factors,
 * a .bin adapter — on bf16 and f32 bases): every case through runMerge on the CPU engine, whole and in
 * tiny chunks that cut rows (ΔW formed per row block), ≤ 1 ulp and ≥ 99.9 % bit-exact.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { runMerge } from '../../../src/merge/run';
import { closeAll } from '../../../src/node/file-source';
import { openPath } from '../../../src/node/paths';
import { assertClose, compareCheckpoints, openMemory } from '../merge/golden-helpers';
import { LORA, LORA_CASES, loraInputs, loraRecipe, type LoraCase } from './lora-fixtures';

afterAll(() => closeAll());

describe('LoRA adapters as roles: merges equal the float64 reference rounded once', () => {
  for (const c of LORA_CASES) {
    it(c.name, async () => {
      const expected = await openPath(join(LORA, c.expected));
      for (const chunkElements of [undefined, 37]) {
        const sink = memorySink();
        await runMerge(loraRecipe(c), await loraInputs(c), { engine: new CpuEngine(), sink, chunkElements });
        expect(sink.committed).toBe(true);
        assertClose(await compareCheckpoints(await openMemory(sink.files), expected), `${c.name} (chunks of ${chunkElements ?? 'a whole tensor'})`);
      }
    });
  }
});

describe('TIES and DARE read an adapter role as its values θ_pre + ΔW, formed once in float32', () => {
  /** The role's model as a full F32 checkpoint: `apply --dtype F32` rounds θ_pre + ΔW once, as the lora op does for these methods. */
  async function asFullF32(adapter: string) {
    const sink = memorySink();
    await runMerge({ ...loraRecipe({ name: '', method: 'apply', roles: { pre: 'pre-bf16', vector: adapter }, params: { alpha: 1 }, models: [], expected: '' }), outDtype: 'F32' },
      await loraInputs({ name: '', method: 'apply', roles: { pre: 'pre-bf16', vector: adapter }, params: {}, models: [], expected: '' }), { engine: new CpuEngine(), sink });
    return openMemory(sink.files);
  }

  for (const method of ['dare', 'ties'] as const) {
    it(`${method} over two adapters = ${method} over their models saved in float32, bit for bit`, async () => {
      const params: LoraCase['params'] = method === 'dare' ? { p: 0.3, seed: 7, ties: true } : { lambda: 1 };
      const c: LoraCase = { name: method, method, roles: { pre: 'pre-bf16' }, params,
        models: ['plain', 'patterns'].map((path) => ({ path, params: method === 'ties' ? { weight: 1, density: 0.5 } : { weight: 1 } as Record<string, number> })), expected: '' };
      const viaAdapters = memorySink();
      await runMerge(loraRecipe(c), await loraInputs(c), { engine: new CpuEngine(), sink: viaAdapters, chunkElements: 53 });
      const viaModels = memorySink();
      const inputs = await loraInputs({ ...c, models: [] });
      await runMerge(loraRecipe(c), { ...inputs, models: [await asFullF32('plain'), await asFullF32('patterns')] }, { engine: new CpuEngine(), sink: viaModels, chunkElements: 53 });
      const a = await openMemory(viaAdapters.files);
      const b = await openMemory(viaModels.files);
      for (let i = 0; i < b.tensors.length; i++) expect(Buffer.from(await a.tensors[i].read()), b.tensors[i].name).toEqual(Buffer.from(await b.tensors[i].read()));
    });
  }
});
