import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../src/formats/byte-source';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { FormatError } from '../../../src/formats/errors';
import { tfjsReader } from '../../../src/formats/tfjs';
import { fixture, siblingsOf } from './format-helpers';

const enc = new TextEncoder();

/** A model.json plus in-memory weight files. */
function model(manifest: unknown, files: Record<string, Uint8Array>): [ByteSource, (p: string) => ByteSource | undefined] {
  const json = bytesSource('m/model.json', enc.encode(JSON.stringify(manifest)));
  return [json, (p) => (files[p] ? bytesSource(`m/${p}`, files[p]) : undefined)];
}

const wm = (weights: unknown[], paths = ['w.bin']) => ({ format: 'graph-model', weightsManifest: [{ paths, weights }] });

describe('tfjs model.json reader', () => {
  it('members() names the weight files so they are not opened on their own', async () => {
    expect(await tfjsReader.members!(fixture('tfjs/model.json'))).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
  });

  it('a weight straddling two shards, and quantized weights, read the same in any byte range', async () => {
    const ck = await tfjsReader.open(fixture('tfjs/model.json'), siblingsOf('tfjs/model.json'));
    for (const t of ck.tensors) {
      const all = await t.read();
      for (let s = 0; s < t.byteLength; s += 3) {
        for (const n of [1, 2, 5, 11]) {
          if (s + n <= t.byteLength) expect(await t.read(s, n), `${t.name} [${s}, +${n})`).toEqual(all.subarray(s, s + n));
        }
      }
    }
  });

  it('dequantizes uint8/uint16 affine weights like tfjs (int32 weights round)', async () => {
    const u16 = new Uint8Array(new Uint16Array([0, 1000, 65535]).buffer);
    const [json, sib] = model(wm([
      { name: 'i', shape: [5], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'f', shape: [3], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.01, min: 2 } },
    ]), { 'w.bin': Uint8Array.from([0, 1, 2, 3, 5, ...u16]) });
    const ck = await tfjsReader.open(json, sib);
    expect(ck.tensors[0].dtype).toBe('I32');
    expect(Array.from(new Int32Array((await ck.tensors[0].read()).slice().buffer))).toEqual([-1, 0, 0, 1, 2]);
    // tfjs computes v * scale + min in double precision and stores float32.
    expect(Array.from(await readTensorF32(ck.tensors[1]))).toEqual([2, 1000 * 0.01 + 2, 65535 * 0.01 + 2].map(Math.fround));
  });

  it('match(): model.json files only', () => {
    const brace = enc.encode('{"format"');
    expect(tfjsReader.match('model.json', brace)).toBe(true);
    expect(tfjsReader.match('web/model.json', enc.encode('\n {'))).toBe(true);
    expect(tfjsReader.match('config.json', brace)).toBe(false);
    expect(tfjsReader.match('pytorch_model.bin.index.json', brace)).toBe(false);
    expect(tfjsReader.match('model.json', enc.encode('PK'))).toBe(false);
  });

  const f32 = new Uint8Array(16);
  const rows: { name: string; json: unknown; raw?: string; files?: Record<string, Uint8Array>; error: RegExp }[] = [
    { name: 'not JSON', json: null, raw: '{"weightsManifest": [', error: /model\.json is not valid UTF-8 JSON/ },
    { name: 'JSON array', json: [1], error: /not a JSON object/ },
    { name: 'no weightsManifest', json: { modelTopology: {} }, error: /has no weightsManifest list \(not a tfjs model\)/ },
    { name: 'paths not strings', json: { weightsManifest: [{ paths: [3], weights: [] }] }, error: /weightsManifest\[0\]\.paths is not a list of file names/ },
    { name: 'missing shard', json: wm([{ name: 'a', shape: [4], dtype: 'float32' }], ['w.bin', 'gone.bin']), files: { 'w.bin': f32 }, error: /weight file 'gone\.bin' named in weightsManifest is missing/ },
    { name: 'weights past the shards', json: wm([{ name: 'a', shape: [3], dtype: 'float32' }, { name: 'b', shape: [2], dtype: 'float32' }]), files: { 'w.bin': f32 }, error: /weight 'b' needs bytes 12\.\.20 but the shards w\.bin hold 16/ },
    { name: 'string dtype', json: wm([{ name: 's', shape: [1], dtype: 'string' }]), files: { 'w.bin': f32 }, error: /weight 's' has unsupported dtype 'string'/ },
    { name: 'unknown quantization', json: wm([{ name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'int4', scale: 1, min: 0 } }]), files: { 'w.bin': f32 }, error: /weight 'q' has unsupported quantization dtype "int4"/ },
    { name: 'quantization without scale', json: wm([{ name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8' } }]), files: { 'w.bin': f32 }, error: /weight 'q' lacks quantization scale\/min/ },
    { name: 'negative dimension', json: wm([{ name: 'a', shape: [-1], dtype: 'float32' }]), files: { 'w.bin': f32 }, error: /weight 'a' has an invalid shape/ },
    { name: 'overflowing shape', json: wm([{ name: 'a', shape: [2 ** 40, 2 ** 40], dtype: 'float32' }]), files: { 'w.bin': f32 }, error: /weight 'a' has an overflowing shape/ },
    { name: 'duplicate names', json: wm([{ name: 'a', shape: [1], dtype: 'float32' }, { name: 'a', shape: [1], dtype: 'float32' }]), files: { 'w.bin': f32 }, error: /two weights are named 'a'/ },
  ];
  for (const r of rows) {
    it(`refuses: ${r.name}`, async () => {
      const json = bytesSource('m/model.json', enc.encode(r.raw ?? JSON.stringify(r.json)));
      const files = r.files ?? {};
      const e = await tfjsReader.open(json, (p) => (files[p] ? bytesSource(`m/${p}`, files[p]) : undefined)).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(/^m\/model\.json: /);
      expect((e as Error).message).toMatch(r.error);
    });
  }
});

describe('tfjs models by content, whatever the .json is called', () => {
  const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
  const json = (name: string, o: unknown) => bytesSource(name, enc.encode(JSON.stringify(o)));
  const weights = [{ name: 'w', shape: [2], dtype: 'float32' }];

  it('a .json with weightsManifest and format or modelTopology opens as tfjs, with its shard or alone', async () => {
    const { openCheckpoints } = await import('../../../src/formats/registry');
    for (const head of [{ format: 'graph-model' }, { modelTopology: {} }]) {
      const named = json('faceres/faceres.json', { ...head, weightsManifest: [{ paths: ['faceres.bin'], weights }] });
      const withShard = await openCheckpoints([named, bytesSource('faceres/faceres.bin', f32)]);
      expect(withShard.errors).toEqual([]);
      expect(withShard.checkpoints.map((c) => [c.name, c.format, c.files])).toEqual([['faceres.json', 'tfjs', ['faceres/faceres.json', 'faceres/faceres.bin']]]);
      expect(await readTensorF32(withShard.checkpoints[0].tensors[0])).toEqual(new Float32Array([1, 2]));
      const alone = await openCheckpoints([named]);
      expect(alone.errors.map((e) => e.message)).toEqual(["faceres/faceres.json: weight file 'faceres.bin' named in weightsManifest is missing (drop it together with faceres.json)"]);
    }
  });

  it('other JSON (config.json, a weightsManifest without format or modelTopology) is not a checkpoint', async () => {
    const { openCheckpoints } = await import('../../../src/formats/registry');
    const { checkpoints, errors } = await openCheckpoints([
      json('d/config.json', { architectures: ['OpenVLA'] }),
      json('d/notes.json', { weightsManifest: [{ paths: [], weights: [] }] }),
      json('d/tokenizer.json', { model: { vocab: { weightsManifest: 1 } } }),
    ]);
    expect(checkpoints).toEqual([]);
    expect(errors.length).toBe(3);
  });

  it('the CLI takes such a file by path and brings its shards along', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { openPath } = await import('../../../src/node/paths');
    const { closeAll } = await import('../../../src/node/file-source');
    const dir = mkdtempSync(join(tmpdir(), 'cv-tfjs-'));
    try {
      mkdirSync(join(dir, 'faceres'));
      writeFileSync(join(dir, 'faceres', 'faceres.json'), JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }));
      writeFileSync(join(dir, 'faceres', 'group1-shard1of1.bin'), f32);
      const ck = await openPath(join(dir, 'faceres', 'faceres.json'));
      expect([ck.name, ck.format, ck.files]).toEqual(['faceres.json', 'tfjs', ['faceres/faceres.json', 'faceres/group1-shard1of1.bin']]);
    } finally {
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
