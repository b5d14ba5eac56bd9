/** Name alignment across roles: DDP's `module.`, PEFT's `base_model.model.` and a missing or extra `model.` line up with θ_pre's names. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { memorySink } from '../../../src/merge/memory-sink';
import { planMerge } from '../../../src/merge/plan';
import { defaultRecipe } from '../../../src/merge/recipe';
import { runMerge } from '../../../src/merge/run';
import type { Recipe } from '../../../src/merge/types';
import { alignCheckpoints, bestPrefixMapping, mapName } from '../../../src/model/align';
import { closeAll } from '../../../src/node/file-source';
import { openPath, openPaths } from '../../../src/node/paths';
import { assertClose, compareCheckpoints, openMemory } from '../merge/golden-helpers';
import { headerCheckpoint } from './header-checkpoint';

const BUF = resolve(__dirname, '../../fixtures/buffers');
const NAMES = ['model.embed_tokens.weight', 'model.layers.0.mlp.up_proj.weight', 'model.norm.weight', 'lm_head.weight'];
const ref = new Set(NAMES);

const ck = headerCheckpoint;

afterAll(() => closeAll());

describe('prefix mappings', () => {
  it('finds DDP, PEFT and model. prefixes in both directions', () => {
    expect(bestPrefixMapping(NAMES.map((n) => `module.${n}`), ref)).toEqual({ from: 'module.', to: '', count: 4 });
    expect(bestPrefixMapping(NAMES.map((n) => `base_model.model.${n}`), ref)).toEqual({ from: 'base_model.model.', to: '', count: 4 });
    // LeRobot's π0 loader adds `model.` when missing: a checkpoint without it lines up.
    const pi0 = ['model.paligemma.vision.weight', 'model.action_in_proj.weight'];
    expect(bestPrefixMapping(pi0.map((n) => n.slice(6)), new Set(pi0))).toEqual({ from: '', to: 'model.', count: 2 });
    expect(bestPrefixMapping(pi0.map((n) => `model.${n}`), new Set(pi0))).toEqual({ from: 'model.', to: '', count: 2 });
    expect(bestPrefixMapping(NAMES.map((n) => `module.base_model.model.${n}`), ref)?.count).toBe(4);
    expect(bestPrefixMapping(NAMES.map((n) => n.replace(/^model\./, 'module.')), ref)).toEqual({ from: 'module.', to: 'model.', count: 3 });
  });

  it('leaves names alone when they already line up, or when no prefix helps', () => {
    expect(bestPrefixMapping(NAMES, ref)).toBeNull();
    expect(bestPrefixMapping(['encoder.w', 'decoder.w'], ref)).toBeNull();
    expect(mapName('module.x', { from: 'module.', to: '' })).toBe('x');
    expect(mapName('other.x', { from: 'module.', to: '' })).toBe('other.x');
  });

  it('the alignment report lists the mapping and keeps the first role’s names', () => {
    const r = alignCheckpoints({ pre: ck(NAMES), aux: ck(NAMES.map((n) => `module.${n}`)), sft: ck(NAMES.map((n) => `base_model.model.${n}`)) });
    expect(r.mappings).toEqual([{ role: 'aux', from: 'module.', to: '', count: 4 }, { role: 'sft', from: 'base_model.model.', to: '', count: 4 }]);
    expect(r.issues).toEqual([]);
    expect(r.matched.map((m) => m.name)).toEqual(NAMES);
    expect(r.matched[0].entries.aux.name).toBe('module.model.embed_tokens.weight');
  });

  it('a tensor only one role has is still reported, under the mapped name', () => {
    const r = alignCheckpoints({ pre: ck(NAMES), aux: ck([...NAMES, 'extra.bias'].map((n) => `module.${n}`)) });
    expect(r.issues.map((i) => [i.name, i.kind])).toEqual([['extra.bias', 'missing']]);
  });
});

describe('merging checkpoints saved under different wrappers (make_buffer_golden.py)', () => {
  const recipe: Recipe = { ...defaultRecipe('capvector'), roles: { pre: 'pre', aux: 'aux-ddp', sft: 'sft-wrapped' }, params: { alpha: 0.8 } };

  it('θ_aux from DDP (module., torch.save) and θ_sft with model. merge into θ_pre’s names: the same golden', async () => {
    const [pre, aux, sft] = await openPaths(['pre', 'aux-ddp', 'sft-wrapped'].map((r) => join(BUF, r)));
    const plan = planMerge(recipe, { pre, aux, sft });
    expect(plan.notes).toContain("aux's tensor names lined up with pre's: module.* → * (13 tensors); the output keeps pre's names");
    expect(plan.notes).toContain("sft's tensor names lined up with pre's: model.* → * (13 tensors); the output keeps pre's names");
    const sink = memorySink();
    await runMerge(recipe, { pre, aux, sft }, { engine: new CpuEngine(), sink });
    const out = await openMemory(sink.files);
    expect(out.tensors.map((t) => t.name)).toEqual(pre.tensors.map((t) => t.name));
    assertClose(await compareCheckpoints(out, await openPath(join(BUF, 'expected', 'capvector-buffers-f32.safetensors'))), 'capvector-buffers-f32 via DDP/wrapped inputs');
  });

  it('the CLI merges them too and says how it lined the names up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-align-'));
    try {
      const out = join(dir, 'merged.safetensors');
      const r = spawnSync(process.execPath, [resolve(__dirname, '../../../bin/capvector.mjs'), 'merge', '--pre', join(BUF, 'pre', 'model.safetensors'), '--aux', join(BUF, 'aux-ddp'),
        '--sft', join(BUF, 'sft-wrapped'), '--alpha', '0.8', '--out', out, '--no-hash'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/note: aux's tensor names lined up with pre's: module\.\* → \*/);
      assertClose(await compareCheckpoints(await openPath(out), await openPath(join(BUF, 'expected', 'capvector-buffers-f32.safetensors'))), 'CLI');
    } finally {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
