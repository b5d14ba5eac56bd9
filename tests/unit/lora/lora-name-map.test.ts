/**
 * Name mappings set by hand for a role given as a LoRA adapter: the adapter's module names are lined up
 * with θ_pre's through the user's mapping (a wrapper prefix no automatic rule knows), in the merge
 * (recipe nameMaps) and in the statistics. Checked against make_lora_golden.py's torch merge of the same
 * adapter on θ_pre under its plain names (expected/apply-plain.safetensors), bit for bit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capvectorPlan } from '../../../src/analysis/plan';
import { planStatsTasks } from '../../../src/analysis/run-stats';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { planMerge } from '../../../src/merge/plan';
import { defaultRecipe } from '../../../src/merge/recipe';
import { runMerge } from '../../../src/merge/run';
import { openPaths } from '../../../src/node/paths';
import { openMemory } from '../merge/golden-helpers';
import { LORA } from './lora-fixtures';

const tmp = mkdtempSync(join(tmpdir(), 'capvector-lora-map-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** pre-bf16 with every name under `policy.` (the same bytes, the header rewritten). */
function prefixedPre(): string {
  const bytes = readFileSync(join(LORA, 'pre-bf16', 'model.safetensors'));
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const renamed = Object.fromEntries(Object.entries(header).map(([k, v]) => [k === '__metadata__' ? k : `policy.${k}`, v]));
  let h = Buffer.from(JSON.stringify(renamed));
  h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  const path = join(tmp, 'model.safetensors');
  writeFileSync(path, Buffer.concat([len, h, bytes.subarray(8 + n)]));
  return path;
}

describe('a LoRA role lined up with θ_pre by a mapping set by hand', () => {
  it('merges (apply) to torch’s result under θ_pre’s names; without the mapping the adapter does not fit', async () => {
    const [pre, vector] = await openPaths([prefixedPre(), join(LORA, 'plain')]);
    const recipe = { ...defaultRecipe('apply'), params: { alpha: 1 } };
    expect(() => planMerge(recipe, { pre, vector })).toThrow(/which θ_pre .* does not have/);
    const sink = memorySink();
    await runMerge({ ...recipe, nameMaps: { vector: { from: '', to: 'policy.' } } }, { pre, vector }, { engine: new CpuEngine(), sink });
    const got = await openMemory(sink.files);
    const [want] = await openPaths([join(LORA, 'expected', 'apply-plain.safetensors')]);
    expect(got.tensors.map((t) => t.name)).toEqual(want.tensors.map((t) => `policy.${t.name}`));
    for (const w of want.tensors) {
      expect(Buffer.from(await got.tensors.find((t) => t.name === `policy.${w.name}`)!.read()), w.name).toEqual(Buffer.from(await w.read()));
    }
  });

  it('the statistics read the adapter through the same mapping', async () => {
    const [pre, aux] = await openPaths([prefixedPre(), join(LORA, 'plain')]);
    const plan = capvectorPlan({ down: false });
    expect(() => planStatsTasks(plan, { pre, aux, sft: pre })).toThrow(/does not have/);
    const { tasks, skipped } = planStatsTasks(plan, { pre, aux, sft: pre }, { aux: { from: '', to: 'policy.' } });
    expect(skipped).toEqual([]);
    expect(tasks.map((t) => t.name)).toEqual(pre.tensors.map((t) => t.name));
  });
});
