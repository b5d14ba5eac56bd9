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
import { LORA, LORA_CASES, loraInputs, loraRecipe } from './lora-fixtures';

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
