/** Sharded checkpoints through their index: members and every disagreement named (their values are fixtures.manifest.ts rows). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../src/formats/byte-source';
import { readerFor } from '../../../src/formats/registry';
import { buildSafetensors } from './st-builder';
import { bytesSource } from '../../../src/formats/byte-source';
import { fixtureFolder, siblingsOf, ST_DIR, textSource } from './fixture-files';

const INDEX = 'model.safetensors.index.json';
/** The index readers as the app picks them: by the index file's name. */
const safetensorsIndexReader = readerFor(`d/${INDEX}`, new Uint8Array())!;
const pytorchIndexReader = readerFor('d/pytorch_model.bin.index.json', new Uint8Array())!;

function openIndexed(files: ByteSource[], dir = 'openvla-tiny', index = INDEX, reader = safetensorsIndexReader) {
  const idx = files.find((f) => f.name === `${dir}/${index}`)!;
  return reader.open(idx, siblingsOf(files, dir));
}

function withIndex(files: ByteSource[], index: object): ByteSource[] {
  return files.map((f) => (f.name.endsWith(INDEX) ? textSource(f.name, JSON.stringify(index)) : f));
}
const baseIndex = () => JSON.parse(readFileSync(join(ST_DIR, 'openvla-tiny', INDEX), 'utf8'));

describe('safetensors index', () => {
  it('is the registry\'s derived index reader for safetensors and PyTorch shards', () => {
    expect([safetensorsIndexReader.id, safetensorsIndexReader.format, pytorchIndexReader.id, pytorchIndexReader.format]).toEqual(['safetensors-index', 'safetensors', 'pytorch-index', 'pytorch']);
    for (const name of ['m.bin.index.json', 'm.pt.index.json', 'M.PTH.INDEX.JSON']) expect(readerFor(name, new Uint8Array())?.id, name).toBe('pytorch-index');
    expect(readerFor('m.ckpt.index.json', new Uint8Array())).toBeUndefined();
  });

  it('lists its members from the index alone', async () => {
    const files = fixtureFolder('openvla-tiny');
    const idx = files.find((f) => f.name.endsWith(INDEX))!;
    expect(await safetensorsIndexReader.members!(idx)).toEqual([1, 2, 3].map((k) => `model-0000${k}-of-00003.safetensors`));
    expect(safetensorsIndexReader.match('x/model.safetensors.index.json', new Uint8Array())).toBe(true);
    expect(safetensorsIndexReader.match('config.json', new Uint8Array())).toBe(false);
  });

  it('names a missing shard file', async () => {
    const files = fixtureFolder('openvla-tiny').filter((f) => !f.name.includes('00002-of'));
    await expect(openIndexed(files)).rejects.toThrow(/^openvla-tiny\/model\.safetensors\.index\.json: shard file 'model-00002-of-00003\.safetensors' listed in weight_map is missing$/);
  });

  it('names a tensor the index lists but its shard lacks', async () => {
    const ix = baseIndex();
    ix.weight_map['language_model.ghost.weight'] = 'model-00003-of-00003.safetensors';
    await expect(openIndexed(withIndex(fixtureFolder('openvla-tiny'), ix))).rejects.toThrow(/weight_map puts tensor 'language_model\.ghost\.weight' in shard 'model-00003-of-00003\.safetensors', which does not hold it/);
  });

  it('names a tensor a shard holds but the index does not list', async () => {
    const ix = baseIndex();
    delete ix.weight_map['language_model.lm_head.weight'];
    await expect(openIndexed(withIndex(fixtureFolder('openvla-tiny'), ix))).rejects.toThrow(/shard 'model-00003-of-00003\.safetensors' holds tensor 'language_model\.lm_head\.weight', which weight_map does not list/);
  });

  it('names a tensor the index puts in the wrong shard', async () => {
    const ix = baseIndex();
    ix.weight_map['projector.fc1.weight'] = 'model-00003-of-00003.safetensors';
    await expect(openIndexed(withIndex(fixtureFolder('openvla-tiny'), ix))).rejects.toThrow(/tensor 'projector\.fc1\.weight' is in shard 'model-0000\d-of-00003\.safetensors' but weight_map puts it in 'model-00003-of-00003\.safetensors'/);
  });

  it('passes on a shard\'s own fault with the shard\'s name', async () => {
    const files = fixtureFolder('openvla-tiny').map((f) => (f.name.includes('00002-of') ? bytesSource(f.name, buildSafetensors({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4)) : f));
    await expect(openIndexed(files)).rejects.toThrow(/^openvla-tiny\/model-00002-of-00003\.safetensors: tensor 'x' data_offsets \[0, 4\) hold 4 bytes but shape \[2\] of F32 needs 8$/);
  });

  it.each([
    ['not JSON', '{"weight_map": ', /index is not valid JSON/],
    ['no weight_map', '{"metadata": {}}', /index has no weight_map/],
    ['weight_map is an array', '{"weight_map": []}', /weight_map must be an object of tensor name → shard file/],
    ['shard is a number', '{"weight_map": {"a": 3}}', /weight_map entry for tensor 'a' must be a shard file name, found 3/],
    ['empty weight_map', '{"weight_map": {}}', /weight_map lists no tensors/],
    ['duplicate tensor key', '{"weight_map": {"a": "s.safetensors", "a": "t.safetensors"}}', /duplicate key "a"/],
  ])('refuses a broken index: %s', async (_n, text, re) => {
    const idx = textSource(`d/${INDEX}`, text as string);
    await expect(safetensorsIndexReader.open(idx, () => undefined)).rejects.toThrow(re as RegExp);
  });
});
