/**
 * The panel's binding of roles to loaded checkpoints and its plan preview, on the real demo files:
 * the preview must agree with the executor's plan (it is the executor's plan), and a checkpoint that
 * lacks a tensor must be refused with that tensor named until the user excludes it.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource } from '../../../src/formats/byte-source';
import { openCheckpoints } from '../../../src/formats/registry';
import type { LoadedCheckpoint } from '../../../src/store/workbench';
import { bindDraft, previewPlan } from '../../../src/ui/merge/bindings';
import { defaultDraft } from '../../../src/merge/recipe-draft';
import { exactNameFilter } from '../../../src/ui/merge/editing';

const DEMO = join(__dirname, '../../../public/demo');

async function load(id: string, paths: string[]): Promise<LoadedCheckpoint> {
  const files = paths.map((p) => ({ path: p, bytes: new Uint8Array(readFileSync(join(DEMO, p))) }));
  const { checkpoints, errors } = await openCheckpoints(files.map((f) => bytesSource(f.path, f.bytes)));
  expect(errors).toEqual([]);
  return { id, checkpoint: checkpoints[0], inputs: files.map((f) => ({ path: f.path, blob: new Blob([f.bytes]) })), origin: 'demo' };
}

/** sft with one tensor dropped from its header (a different architecture revision, say). */
async function sftMissing(name: string): Promise<LoadedCheckpoint> {
  const ck = await load('bad', ['sft.safetensors']);
  return { ...ck, checkpoint: { ...ck.checkpoint, tensors: ck.checkpoint.tensors.filter((t) => t.name !== name) } };
}

describe('bindings and plan preview', async () => {
  const pre = await load('p', ['pre.safetensors']);
  const aux = await load('a', readdirSync(join(DEMO, 'aux')).map((f) => `aux/${f}`));
  const sft = await load('s', ['sft.safetensors']);
  const all = [pre, aux, sft];
  const roles = { pre: 'p', aux: 'a', sft: 's' };

  it('fills the recipe with the bound checkpoints and plans every tensor', () => {
    const d = defaultDraft('capvector');
    d.recipe.params.alpha = 0.8;
    const b = bindDraft(d.recipe, all, roles, [], undefined);
    expect(b.unbound).toEqual([]);
    expect(b.recipe.roles).toEqual({ pre: pre.checkpoint.name, aux: aux.checkpoint.name, sft: sft.checkpoint.name });
    expect(b.roleInputs.map((r) => [r.role, r.files.length])).toEqual([['pre', 1], ['aux', 3], ['sft', 1]]);
    const p = previewPlan(b);
    if (p.kind !== 'plan') throw new Error(`expected a plan, got ${JSON.stringify(p)}`);
    expect(p.plan.tensors.map((t) => t.name)).toEqual(pre.checkpoint.tensors.map((t) => t.name));
    expect(p.plan.tensors.every((t) => t.action.kind === 'merge')).toBe(true);
  });

  it('says which roles are missing', () => {
    const b = bindDraft(defaultDraft('capvector').recipe, all, { pre: 'p' }, [], undefined);
    expect(previewPlan(b)).toEqual({ kind: 'unbound', missing: ['θ_aux (auxiliary-finetuned)', 'θ_sft (SFT-finetuned)'] });
    const t = bindDraft(defaultDraft('ties').recipe, all, roles, [], undefined);
    expect(previewPlan(t).kind).toBe('unbound');
  });

  it('refuses a missing tensor by name until it is excluded', async () => {
    const gone = 'language_model.model.layers.3.mlp.up_proj.weight';
    const bad = await sftMissing(gone);
    const d = defaultDraft('capvector');
    const b = bindDraft(d.recipe, [pre, aux, bad], { ...roles, sft: 'bad' }, [], undefined);
    const p = previewPlan(b);
    if (p.kind !== 'blocked') throw new Error(`expected blocked, got ${p.kind}`);
    expect(p.issues.map((i) => [i.name, i.kind])).toEqual([[gone, 'missing']]);
    expect(p.issues[0].detail).toMatch(/missing in sft/);
    const fixed = previewPlan(bindDraft({ ...d.recipe, exclude: [exactNameFilter(gone)] }, [pre, aux, bad], { ...roles, sft: 'bad' }, [], undefined));
    if (fixed.kind !== 'plan') throw new Error(`expected a plan after excluding, got ${fixed.kind}`);
    const t = fixed.plan.tensors.find((x) => x.name === gone)!;
    expect(t.action).toEqual({ kind: 'copy', reason: 'excluded' });
    expect(fixed.plan.tensors.filter((x) => x.action.kind === 'merge').length).toBe(pre.checkpoint.tensors.length - 1);
  });

  it('carries the name mappings set by hand into the recipe where θ_pre is the base, and plans with them', () => {
    const d = defaultDraft('capvector');
    const maps = { aux: { from: '', to: '' }, down: { from: 'x.', to: '' }, pre: { from: 'y.', to: '' } };
    const b = bindDraft(d.recipe, all, roles, [], undefined, maps);
    // only bound input roles other than θ_pre: down is not an input of capvector, pre is the reference
    expect(b.recipe.nameMaps).toEqual({ aux: { from: '', to: '' } });
    const p = previewPlan(b);
    if (p.kind !== 'plan') throw new Error(`expected a plan, got ${p.kind}`);
    expect(p.plan.notes).toContain(`aux's tensor names lined up with pre's (set by hand): * → * (${pre.checkpoint.tensors.length} tensors); the output keeps pre's names`);
    // extract's base is θ_aux: mappings made against θ_pre's names are not carried
    expect(bindDraft(defaultDraft('extract').recipe, all, roles, [], undefined, maps).recipe.nameMaps).toBeUndefined();
  });

  it('binds models in order for multi-model methods with their own parameters', () => {
    const d = defaultDraft('ties');
    d.recipe.roles = { models: [{ name: '', params: { density: 0.5 } }, { name: '', params: { weight: 2 } }] };
    const b = bindDraft(d.recipe, all, roles, ['a', 's'], undefined);
    expect(b.recipe.roles.models).toEqual([
      { name: aux.checkpoint.name, params: { density: 0.5 } },
      { name: sft.checkpoint.name, params: { weight: 2 } },
    ]);
    expect(b.roleInputs.map((r) => r.role)).toEqual(['pre', 'model:0', 'model:1']);
    expect(previewPlan(b).kind).toBe('plan');
  });
});
