import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { FormatError } from '../../../src/formats/errors';
import { npyReader, readNpyHeader } from '../../../src/formats/npy';
import { fixture, fixtureBytes, noSiblings, npy } from './format-helpers';

const f32x6 = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);

describe('.npy reader', () => {
  it('reads header facts of numpy-written files (v1, v2, v3)', async () => {
    expect(await readNpyHeader(fixture('f32.npy'))).toMatchObject({ version: 1, dtype: 'F32', shape: [3, 4], fortranOrder: false, bigEndian: false });
    expect(await readNpyHeader(fixture('v2.npy'))).toMatchObject({ version: 2, dtype: 'F32', shape: [2, 2] });
    expect(await readNpyHeader(fixture('v3.npy'))).toMatchObject({ version: 3 });
    expect(await readNpyHeader(fixture('f64_fortran.npy'))).toMatchObject({ dtype: 'F64', shape: [3, 5], fortranOrder: true });
    expect(await readNpyHeader(fixture('be_f4.npy'))).toMatchObject({ dtype: 'F32', bigEndian: true });
    expect(await readNpyHeader(fixture('scalar.npy'))).toMatchObject({ shape: [] });
    expect(await readNpyHeader(fixture('bool.npy'))).toMatchObject({ dtype: 'BOOL' });
  });

  it('Fortran-ordered and big-endian arrays: every byte range equals the same range of the full read', async () => {
    for (const f of ['f64_fortran.npy', 'be_f4.npy']) {
      const t = (await npyReader.open(fixture(f), noSiblings)).tensors[0];
      const all = await t.read();
      for (let s = 0; s < t.byteLength; s += 5) {
        for (const n of [1, 3, 8, 13]) {
          if (s + n <= t.byteLength) expect(await t.read(s, n), `${f} [${s}, +${n})`).toEqual(all.subarray(s, s + n));
        }
      }
    }
  });

  it('transposes a hand-made Fortran array to row-major', async () => {
    // Column-major [[1, 3, 5], [2, 4, 6]] stored as 1..6.
    const t = (await npyReader.open(bytesSource('f.npy', npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", f32x6)), noSiblings)).tensors[0];
    expect(Array.from(await readTensorF32(t))).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('match() sniffs the magic', () => {
    expect(npyReader.match('anything', fixtureBytes('f32.npy').subarray(0, 64))).toBe(true);
    expect(npyReader.match('x.bin', new Uint8Array([1, 2, 3, 4, 5, 6]))).toBe(false);
  });

  const ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const rows: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    { name: 'bad magic', bytes: npy(ok, f32x6).map((b, i) => (i === 1 ? 0x4f : b)), error: /not a \.npy file/ },
    { name: 'too small', bytes: new Uint8Array([0x93, 0x4e]), error: /too small to be a \.npy file/ },
    { name: 'version 4', bytes: npy(ok, f32x6, 4), error: /unsupported \.npy format version 4/ },
    { name: 'header past the end', bytes: npy(ok, f32x6).subarray(0, 40), error: /runs past the end of the file/ },
    { name: 'header not a dict', bytes: npy('[1, 2]', f32x6), error: /header is not a dict/ },
    { name: 'missing fortran_order', bytes: npy("{'descr': '<f4', 'shape': (6,)}", f32x6), error: /lacks fortran_order/ },
    { name: 'object array', bytes: npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", f32x6), error: /object arrays hold pickled Python objects and are refused/ },
    { name: 'structured dtype', bytes: npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}", f32x6), error: /structured arrays are not read/ },
    { name: 'unicode dtype', bytes: npy("{'descr': '<U4', 'fortran_order': False, 'shape': (6,)}", f32x6), error: /dtype '<U4' is not supported/ },
    { name: 'complex dtype', bytes: npy("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}", f32x6), error: /dtype '<c8' is not supported/ },
    { name: 'data too short', bytes: npy(ok, f32x6.subarray(0, 20)), error: /data holds 20 bytes but shape \[2,3\] of F32 needs 24/ },
    { name: 'trailing bytes', bytes: npy(ok, new Uint8Array(28)), error: /data holds 28 bytes/ },
    { name: 'negative dimension', bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 6)}", f32x6), error: /shape is not a tuple of non-negative integers/ },
    { name: 'overflowing shape', bytes: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", f32x6), error: /overflows/ },
    { name: 'unterminated string', bytes: npy("{'descr: '<f4'}", f32x6), error: /header is malformed/ },
    { name: 'trailing text', bytes: npy(`${ok} junk`, f32x6), error: /header is malformed \(trailing text/ },
    { name: 'deep nesting', bytes: npy('('.repeat(100), f32x6), error: /nesting too deep/ },
  ];
  for (const r of rows) {
    it(`refuses: ${r.name}`, async () => {
      const e = await npyReader.open(bytesSource('bad.npy', r.bytes), noSiblings).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(FormatError);
      expect((e as Error).message).toMatch(/^bad\.npy: /);
      expect((e as Error).message).toMatch(r.error);
    });
  }
});
