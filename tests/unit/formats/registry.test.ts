/** How a set of dropped files (or CLI paths) becomes checkpoints: the grouping rules. */
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource, type ByteSource } from '../../../src/formats/byte-source';
import { FORMATS, READERS, openCheckpoints, joinPath, readerFor } from '../../../src/formats/registry';
import { closeAll } from '../../../src/node/file-source';
import { expandPaths, openPath } from '../../../src/node/paths';
import { fixtureFile, fixtureFolder, ST_DIR, textSource } from './fixture-files';
import { buildSafetensors } from './st-builder';

const tiny = (name: string, tensor = 'w') => bytesSource(name, buildSafetensors({ [tensor]: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, 2));
const npy = (name: string) => {
  const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  const header = h + ' '.repeat(128 - 10 - h.length - 1) + '\n';
  const b = new Uint8Array(10 + header.length + 8);
  b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  b.set(new TextEncoder().encode(header), 10);
  b.set(new Uint8Array(new Float32Array([1, 2]).buffer), 10 + header.length);
  return bytesSource(name, b);
};
const junk = () => [textSource('openvla-tiny/config.json', '{"architectures": ["OpenVLA"]}'), textSource('openvla-tiny/README.md', '# model'), textSource('openvla-tiny/tokenizer.model', 'xx')];

describe('openCheckpoints grouping', () => {
  it('a dropped folder with an index, its shards and side files is one checkpoint', async () => {
    const files = [...junk(), ...fixtureFolder('openvla-tiny')];
    const { checkpoints, errors } = await openCheckpoints(files);
    expect(errors).toEqual([]);
    expect(checkpoints.length).toBe(1);
    expect(checkpoints[0]).toMatchObject({ name: 'openvla-tiny', sharded: true, format: 'safetensors' });
    expect(checkpoints[0].files[0]).toBe('openvla-tiny/model.safetensors.index.json');
  });

  it('shards dropped without an index join in shard-number order', async () => {
    const shards = fixtureFolder('openvla-tiny').filter((f) => f.name.endsWith('.safetensors')).reverse();
    const withIndex = await openCheckpoints(fixtureFolder('openvla-tiny'));
    const { checkpoints, errors } = await openCheckpoints(shards);
    expect(errors).toEqual([]);
    expect(checkpoints.length).toBe(1);
    expect(checkpoints[0].sharded).toBe(true);
    expect(checkpoints[0].files).toEqual([1, 2, 3].map((k) => `openvla-tiny/model-0000${k}-of-00003.safetensors`));
    expect(checkpoints[0].tensors.map((t) => t.name)).toEqual(withIndex.checkpoints[0].tensors.map((t) => t.name));
  });

  it('names missing shard numbers when shards come without an index', async () => {
    const files = [tiny('model-00001-of-00004.safetensors', 'a'), tiny('model-00003-of-00004.safetensors', 'b')];
    const { checkpoints, errors } = await openCheckpoints(files);
    expect(checkpoints).toEqual([]);
    expect(errors.map((e) => e.message)).toEqual(['model-00001-of-00004.safetensors: shard set of 4 is missing shards 2, 4 (model-00002-of-00004.safetensors, model-00004-of-00004.safetensors)']);
  });

  it('same-named shard sets in two folders stay apart', async () => {
    const files = [tiny('a/model-00001-of-00002.safetensors', 'x'), tiny('b/model-00001-of-00002.safetensors', 'x'), tiny('a/model-00002-of-00002.safetensors', 'y'), tiny('b/model-00002-of-00002.safetensors', 'y')];
    const { checkpoints, errors } = await openCheckpoints(files);
    expect(errors).toEqual([]);
    expect(checkpoints.map((c) => [c.name, c.tensors.map((t) => t.name)])).toEqual([['a', ['x', 'y']], ['b', ['x', 'y']]]);
  });

  it('a tensor repeated across index-less shards is an error naming both', async () => {
    const { errors } = await openCheckpoints([tiny('m-00001-of-00002.safetensors', 'w'), tiny('m-00002-of-00002.safetensors', 'w')]);
    expect(errors.map((e) => e.message)).toEqual(["m-00002-of-00002.safetensors: tensor 'w' is also in shard 'm-00001-of-00002.safetensors'"]);
  });

  it('every other recognised file is its own checkpoint, in input order', async () => {
    const { checkpoints, errors } = await openCheckpoints([tiny('pre.safetensors'), npy('vec.npy'), textSource('notes.txt', 'hi'), fixtureFile('all_dtypes.safetensors')]);
    expect(errors).toEqual([]);
    expect(checkpoints.map((c) => [c.name, c.format])).toEqual([['pre.safetensors', 'safetensors'], ['vec.npy', 'numpy'], ['all_dtypes.safetensors', 'safetensors']]);
  });

  it('sniffs safetensors by its bytes whatever the extension', async () => {
    const { checkpoints } = await openCheckpoints([tiny('weights.dat')]);
    expect(checkpoints.map((c) => c.format)).toEqual(['safetensors']);
  });

  it('one failing checkpoint gives one error and the others still load', async () => {
    const bad = bytesSource('broken.safetensors', buildSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 4] } }, 4));
    const { checkpoints, errors } = await openCheckpoints([tiny('good.safetensors'), bad, ...fixtureFolder('openvla-tiny').filter((f) => !f.name.includes('00003-of'))]);
    expect(checkpoints.map((c) => c.name)).toEqual(['good.safetensors']);
    expect(errors.map((e) => e.file)).toEqual(['broken.safetensors', 'openvla-tiny/model.safetensors.index.json']);
    expect(errors[0].message).toMatch(/needs 16/);
    expect(errors[1].message).toMatch(/shard file 'model-00003-of-00003\.safetensors' listed in weight_map is missing/);
  });

  it('unknown files are skipped silently, unless nothing at all is recognised', async () => {
    expect(await openCheckpoints([...junk(), tiny('m.safetensors')])).toMatchObject({ errors: [] });
    const none = await openCheckpoints(junk());
    expect(none.checkpoints).toEqual([]);
    expect(none.errors.map((e) => e.file)).toEqual(['openvla-tiny/config.json', 'openvla-tiny/README.md', 'openvla-tiny/tokenizer.model']);
    expect(none.errors[0].message).toBe('openvla-tiny/config.json: not a recognised checkpoint (safetensors, PyTorch .bin/.pt/.pth, NumPy .npy/.npz, tfjs model.json, or PEFT LoRA adapter_config.json)');
    expect(await openCheckpoints([])).toEqual({ checkpoints: [], errors: [] });
  });

  it('a pytorch index claims its .bin shards', async () => {
    const { checkpoints, errors } = await openCheckpoints(fixtureFolder('pytorch-sharded'));
    expect(errors).toEqual([]);
    expect(checkpoints.map((c) => [c.format, c.sharded, c.files.length])).toEqual([['pytorch', true, 3]]);
  });

  it('a range error from a byte source becomes a FormatError naming the file', async () => {
    const lying: ByteSource = { name: 'liar.safetensors', size: 100, read: (o, l) => Promise.reject(new RangeError(`liar.safetensors: read of ${l} bytes at ${o} failed`)) };
    const { errors } = await openCheckpoints([lying]);
    expect(errors.map((e) => [e.file, e.fault])).toEqual([['liar.safetensors', 'read of 8 bytes at 0 failed']]);
  });

  it('an index naming a shard of no sharded format says which formats shards may be', async () => {
    const index = textSource('d/model.safetensors.index.json', JSON.stringify({ weight_map: { w: 'w.gguf' } }));
    const { errors } = await openCheckpoints([index, tiny('d/w.gguf')]);
    expect(errors.map((e) => e.message)).toEqual(["d/model.safetensors.index.json: shard 'w.gguf' is not a safetensors or PyTorch .bin/.pt/.pth file"]);
  });

  it('joinPath folds . and ..', () => {
    expect(joinPath('a/b', '../c/./d.bin')).toBe('a/c/d.bin');
    expect(joinPath('', 'x')).toBe('x');
  });
});

describe('the registry derives everything from its readers', () => {
  it('tries index and model.json readers before the single-file sniffers', () => {
    expect(READERS.map((r) => r.id)).toEqual(['safetensors-index', 'pytorch-index', 'tfjs', 'lora', 'safetensors', 'pytorch', 'npy', 'npz']);
  });

  it('names the formats for people in registration order, with shard sets marked', () => {
    expect(FORMATS).toEqual([
      { id: 'safetensors', name: 'safetensors', sharded: true },
      { id: 'pytorch', name: 'PyTorch .bin/.pt/.pth', sharded: true },
      { id: 'numpy', name: 'NumPy .npy/.npz', sharded: false },
      { id: 'tfjs', name: 'tfjs model.json', sharded: false },
      { id: 'lora', name: 'PEFT LoRA adapter_config.json', sharded: false },
    ]);
  });

  it('the single-file sniffers claim disjoint files where the order between them could matter', () => {
    const zip = new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0]);
    const npyMagic = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const pickle = new Uint8Array([0x80, 2, 0x7d, 0x2e]);
    const rows: [string, Uint8Array, string | undefined][] = [
      ['w.npy', zip, 'npy'], ['w.npz', zip, 'npz'], ['w.pt', zip, 'pytorch'], ['w.dat', zip, 'pytorch'], ['w.zip', zip, undefined],
      ['w.pt', npyMagic, 'npy'], ['w.npy', pickle, 'npy'], ['w.pkl', pickle, 'pytorch'], ['w.npz', pickle, undefined],
    ];
    for (const [name, head, id] of rows) {
      expect(readerFor(name, head)?.id, name).toBe(id);
      const claims = READERS.filter((r) => ['pytorch', 'npy', 'npz'].includes(r.id) && r.match(name, head));
      expect(claims.length, `${name}: ${claims.map((r) => r.id)}`).toBeLessThanOrEqual(1);
    }
  });
});

describe('CLI paths (Node)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'capvector-paths-'));
  afterAll(async () => {
    await closeAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a folder gives its files named under the folder, hidden files skipped', async () => {
    const dir = join(tmp, 'openvla-tiny');
    mkdirSync(dir);
    for (const f of readdirSync(join(ST_DIR, 'openvla-tiny'))) copyFileSync(join(ST_DIR, 'openvla-tiny', f), join(dir, f));
    writeFileSync(join(dir, '.DS_Store'), 'x');
    const [group] = await expandPaths([dir]);
    expect(group.map((s) => s.name)).toEqual([
      'openvla-tiny/model-00001-of-00003.safetensors', 'openvla-tiny/model-00002-of-00003.safetensors',
      'openvla-tiny/model-00003-of-00003.safetensors', 'openvla-tiny/model.safetensors.index.json',
    ]);
    const ck = await openPath(dir);
    expect(ck.tensors.length).toBe(34);
  });

  it('an index.json path brings its shards', async () => {
    const groups = await expandPaths([join(tmp, 'openvla-tiny', 'model.safetensors.index.json'), join(ST_DIR, 'all_dtypes.safetensors')]);
    expect(groups.map((g) => g.length)).toEqual([4, 1]);
    expect(groups[1][0].name).toBe('all_dtypes.safetensors');
    const ck = await openPath(join(tmp, 'openvla-tiny', 'model.safetensors.index.json'));
    expect(ck).toMatchObject({ name: 'openvla-tiny', sharded: true });
  });

  it('openPath insists on exactly one checkpoint and names missing paths', async () => {
    const two = join(tmp, 'two');
    mkdirSync(two);
    copyFileSync(join(ST_DIR, 'all_dtypes.safetensors'), join(two, 'a.safetensors'));
    copyFileSync(join(ST_DIR, 'unaligned.safetensors'), join(two, 'b.safetensors'));
    await expect(openPath(two)).rejects.toThrow(/two: holds 2 checkpoints \(two\/a\.safetensors, two\/b\.safetensors\); name one file, folder or index\.json/);
    await expect(openPath(join(tmp, 'nope'))).rejects.toThrow(/nope: no such file or folder/);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await expect(openPath(empty)).rejects.toThrow(/empty: holds no checkpoint files/);
  });
});
