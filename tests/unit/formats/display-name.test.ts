/** Checkpoints in generically named files are named after their folders, and no two share a name. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { displayNameFor, distinctNames, isGenericFileName, uniqueName } from '../../../src/formats/display-name';
import { openCheckpoints } from '../../../src/formats/registry';
import { closeAll } from '../../../src/node/file-source';
import { openPath, openPaths } from '../../../src/node/paths';
import { useWorkbench } from '../../../src/store/workbench';
import { fixtureFile } from './fixture-files';
import { buildSafetensors } from './st-builder';

const tiny = (name: string) => bytesSource(name, buildSafetensors({ w: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, 2));
const torchBytes = () => fixtureFile('../torch/dtypes.pt');

describe('generic file names', () => {
  it('knows the Hugging Face, PEFT and tfjs generic names', () => {
    for (const n of ['model.safetensors', 'pytorch_model.bin', 'adapter_model.safetensors', 'adapter_model.bin', 'model.json',
      'model.safetensors.index.json', 'pytorch_model.bin.index.json', 'model-00002-of-00003.safetensors', 'pytorch_model-00001-of-00002.bin', 'x/y/model.pt']) {
      expect(isGenericFileName(n), n).toBe(true);
    }
    for (const n of ['openvla-7b.safetensors', 'faceres.json', 'policy_step_5000.pt', 'config.json']) expect(isGenericFileName(n), n).toBe(false);
  });

  it('names a checkpoint after its folder only when its file name is generic', () => {
    expect(displayNameFor('pytorch_model.bin', 'runs/pre/pytorch_model.bin')).toBe('pre');
    expect(displayNameFor('model.safetensors', 'model.safetensors')).toBe('model.safetensors');
    expect(displayNameFor('sft.safetensors', 'runs/sft.safetensors')).toBe('sft.safetensors');
  });

  it('tells colliding names apart by parent folders, else by a suffix', () => {
    expect(distinctNames([{ name: 'ckpt', where: 'x/ckpt/model.bin' }, { name: 'ckpt', where: 'y/ckpt/model.bin' }, { name: 'other', where: 'other/model.bin' }])).toEqual(['x/ckpt', 'y/ckpt', 'other']);
    expect(distinctNames([{ name: 'ckpt', where: 'a/x/ckpt/m.bin' }, { name: 'ckpt', where: 'b/x/ckpt/m.bin' }])).toEqual(['a/x/ckpt', 'b/x/ckpt']);
    expect(distinctNames([{ name: 'ckpt', where: 'ckpt/m.bin' }, { name: 'ckpt', where: 'ckpt/m.bin' }])).toEqual(['ckpt', 'ckpt (2)']);
    expect(uniqueName('ckpt', 'y/ckpt/model.bin', new Set(['ckpt']))).toBe('y/ckpt');
    expect(uniqueName('m.safetensors', 'm.safetensors', new Set(['m.safetensors', 'm.safetensors (2)']))).toBe('m.safetensors (3)');
  });
});

describe('names of opened checkpoints', () => {
  it('three folders each with pytorch_model.bin give three distinct folder names', async () => {
    const pt = torchBytes();
    const bytes = await pt.read(0, pt.size);
    const files = ['pre', 'aux', 'sft'].map((d) => bytesSource(`${d}/pytorch_model.bin`, bytes));
    const { checkpoints, errors } = await openCheckpoints(files);
    expect(errors).toEqual([]);
    expect(checkpoints.map((c) => c.name)).toEqual(['pre', 'aux', 'sft']);
  });

  it('three model.safetensors in same-named folders are told apart by their parents', async () => {
    const { checkpoints } = await openCheckpoints(['run1/ckpt', 'run2/ckpt', 'run3/ckpt'].map((d) => tiny(`${d}/model.safetensors`)));
    expect(checkpoints.map((c) => c.name)).toEqual(['run1/ckpt', 'run2/ckpt', 'run3/ckpt']);
  });

  it('the store never shows two cards with one name', () => {
    const st = useWorkbench.getState();
    const add = (path: string) => st.addCheckpoint({ checkpoint: { name: 'ckpt', format: 'safetensors', files: [path], sharded: false, tensors: [], metadata: {}, fileBytes: 0 }, inputs: [{ path, blob: new Blob([]) }], origin: 'user' });
    const ids = [add('a/ckpt/model.safetensors'), add('b/ckpt/model.safetensors'), add('b/ckpt/model.safetensors')];
    const names = ids.map((id) => useWorkbench.getState().checkpoints.find((c) => c.id === id)!.checkpoint.name);
    expect(names).toEqual(['ckpt', 'b/ckpt', 'ckpt (2)']);
    for (const id of ids) useWorkbench.getState().removeCheckpoint(id);
  });
});

describe('CLI paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cv-names-'));
  afterAll(async () => {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a generic file given by path, or its folder, is named after the folder; roles opened together stay distinct', async () => {
    const pt = torchBytes();
    const bytes = await pt.read(0, pt.size);
    for (const d of ['pre', 'aux', 'sft', 'r1/ckpt', 'r2/ckpt']) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'pytorch_model.bin'), bytes);
    }
    expect((await openPath(join(dir, 'pre', 'pytorch_model.bin'))).name).toBe('pre');
    expect((await openPath(join(dir, 'aux'))).name).toBe('aux');
    const cks = await openPaths([join(dir, 'pre'), join(dir, 'aux', 'pytorch_model.bin'), join(dir, 'sft'), join(dir, 'r1/ckpt'), join(dir, 'r2/ckpt/pytorch_model.bin')]);
    expect(cks.map((c) => c.name)).toEqual(['pre', 'aux', 'sft', 'r1/ckpt', 'r2/ckpt']);
  });
});
