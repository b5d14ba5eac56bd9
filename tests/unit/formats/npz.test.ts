import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { FormatError } from '../../../src/formats/errors';
import { npzReader } from '../../../src/formats/npz';
import { countingSource, fixture, fixtureBytes, makeZip, noSiblings, npy } from './format-helpers';

describe('.npz reader', () => {
  it('stored and compressed archives hold the same bytes, in any read order', async () => {
    const a = await npzReader.open(fixture('stored.npz'), noSiblings);
    const b = await npzReader.open(fixture('compressed.npz'), noSiblings);
    for (let i = 0; i < a.tensors.length; i++) {
      const t = b.tensors[i];
      const full = await a.tensors[i].read();
      expect(await t.read(), t.name).toEqual(full);
      if (t.byteLength > 8) expect(await t.read(3, 5)).toEqual(full.subarray(3, 8));
      expect(await t.read(0, 2)).toEqual(full.subarray(0, 2)); // backwards: restarts the inflater
    }
  });

  it('reads a large deflated member in forward chunks in one pass over the compressed bytes', async () => {
    const n = 200_000;
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i / 100));
    const z = makeZip([{ name: 'big.npy', data: npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (${n},), }`, new Uint8Array(values.buffer)), deflate: true }]);
    const counting = countingSource(bytesSource('big.npz', z));
    const t = (await npzReader.open(counting, noSiblings)).tensors[0];
    const before = counting.bytesRead;
    const chunk = 50_000;
    for (let first = 0; first < n; first += chunk) {
      expect(await readTensorF32(t, first, chunk)).toEqual(values.subarray(first, first + chunk));
    }
    // Forward chunks continue one inflater: about one pass over the member (plus the local header read).
    expect(counting.bytesRead - before).toBeLessThan(z.length * 1.1 + 1024);
  });

  it('match(): .npz zips only', () => {
    const head = fixtureBytes('stored.npz').subarray(0, 64);
    expect(npzReader.match('w.npz', head)).toBe(true);
    expect(npzReader.match('w.pt', head)).toBe(false);
  });

  const good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8));
  const rows: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    { name: 'no .npy members', bytes: makeZip([{ name: 'readme.txt', data: new Uint8Array(3) }]), error: /^bad\.npz: npz archive holds no \.npy members/ },
    { name: 'member with a bad header', bytes: makeZip([{ name: 'w.npy', data: good.map((b, i) => (i === 0 ? 0 : b)), deflate: true }]), error: /^bad\.npz:w\.npy: not a \.npy file/ },
    { name: 'member with short data', bytes: makeZip([{ name: 'w.npy', data: good.subarray(0, good.length - 4) }]), error: /^bad\.npz:w\.npy: \.npy data holds 4 bytes/ },
    { name: 'truncated archive', bytes: fixtureBytes('compressed.npz').subarray(0, 600), error: /^bad\.npz: no zip end-of-central-directory/ },
  ];
  for (const r of rows) {
    it(`refuses: ${r.name}`, async () => {
      const e = await npzReader.open(bytesSource('bad.npz', r.bytes), noSiblings).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(r.error);
    });
  }

  it('a corrupt deflate stream fails on read with the member named', async () => {
    const z = makeZip([{ name: 'w.npy', data: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000,), }", new Uint8Array(4000).map((_, i) => i)), deflate: true }]);
    // Damage the compressed bytes after the header region so opening works and reading fails.
    const bad = z.slice();
    for (let i = 30 + 'w.npy'.length + 60; i < 30 + 'w.npy'.length + 200 && i < bad.length; i++) bad[i] ^= 0x5a;
    const err = await (async () => {
      const ck = await npzReader.open(bytesSource('bad.npz', bad), noSiblings);
      await ck.tensors[0].read();
    })().then(() => undefined, (x: unknown) => x);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as Error).message).toMatch(/^bad\.npz:w\.npy: (corrupt deflate data|deflate data ends|not a \.npy|\.npy)/);
  });
});
