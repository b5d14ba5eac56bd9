/** The safetensors reader's behaviour beyond validation: laziness, ranged reads, sniffing. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { openCheckpoints } from '../../../src/formats/registry';
import { FormatError } from '../../../src/formats/errors';
import { looksLikeSafetensors, parseSafetensorsHeader, safetensorsReader } from '../../../src/formats/safetensors';
import { ST_DIR } from './fixture-files';
import { checkSafetensorsGolden } from './golden-checks';
import { buildSafetensors, concat, countingSource, f32Bytes, u64 } from './st-builder';

const header = {
  __metadata__: { format: 'pt' },
  'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
  'b.bias': { dtype: 'F16', shape: [3], data_offsets: [24, 30] },
};
const data = concat(f32Bytes([1, 2, 3, 4, 5, 6]), new Uint8Array([0x00, 0x3c, 0x00, 0x40, 0x00, 0xc2])); // halves 1, 2, -3
const file = buildSafetensors(header, data);

describe('safetensors reader', () => {
  it('opens by reading only the length and the header, never the data', async () => {
    const src = countingSource('m.safetensors', file);
    const ck = await safetensorsReader.open(src, () => undefined);
    const headerLen = Number(new DataView(file.buffer).getBigUint64(0, true));
    expect(src.reads).toEqual([[0, 8], [8, headerLen]]);
    expect(ck).toMatchObject({ name: 'm.safetensors', format: 'safetensors', files: ['m.safetensors'], sharded: false, metadata: { format: 'pt' }, fileBytes: file.byteLength });
    expect(ck.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteLength, t.file])).toEqual([
      ['a.weight', 'F32', [2, 3], 24, 'm.safetensors'],
      ['b.bias', 'F16', [3], 6, 'm.safetensors'],
    ]);
  });

  it('reads exactly the requested byte range of a tensor', async () => {
    const src = countingSource('m.safetensors', file);
    const ck = await safetensorsReader.open(src, () => undefined);
    src.reads.length = 0;
    const dataStart = 8 + Number(new DataView(file.buffer).getBigUint64(0, true));
    const part = await ck.tensors[0].read(8, 8);
    expect(src.reads).toEqual([[dataStart + 8, 8]]);
    expect(Array.from(new Float32Array(part.slice().buffer))).toEqual([3, 4]);
    expect(Array.from(await readTensorF32(ck.tensors[1]))).toEqual([1, 2, -3]);
    expect(Array.from(await readTensorF32(ck.tensors[0], 4, 2))).toEqual([5, 6]);
  });

  it('refuses reads outside the tensor with a FormatError naming file and tensor', async () => {
    const ck = await safetensorsReader.open(countingSource('m.safetensors', file), () => undefined);
    await expect(ck.tensors[1].read(4, 4)).rejects.toThrow(/^m\.safetensors: read of 4 bytes at 4 is outside tensor 'b\.bias' \(6 bytes\)$/);
    await expect(ck.tensors[0].read(-1, 2)).rejects.toBeInstanceOf(FormatError);
    await expect(ck.tensors[0].read(0, 25)).rejects.toThrow(/outside tensor 'a\.weight'/);
  });

  it('parseSafetensorsHeader works on a prefix when told the file size', () => {
    const headerLen = Number(new DataView(file.buffer).getBigUint64(0, true));
    const h = parseSafetensorsHeader(file.subarray(0, 8 + headerLen), 'm.safetensors', file.byteLength);
    expect(h.dataStart).toBe(8 + headerLen);
    expect(h.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([['a.weight', 0, 24], ['b.bias', 24, 30]]);
    expect(() => parseSafetensorsHeader(file.subarray(0, 20), 'm.safetensors', file.byteLength)).toThrow(/only 12 of the \d+ header bytes were given/);
  });

  it('sniffs by bytes as well as by extension', () => {
    const head = file.subarray(0, 64);
    expect(looksLikeSafetensors(head)).toBe(true);
    expect(safetensorsReader.match('weights.bin.renamed', head)).toBe(true);
    expect(safetensorsReader.match('model.safetensors', new Uint8Array([1, 2, 3]))).toBe(true); // so the reader can say what is wrong
    const ws = buildSafetensors(' \n{}');
    expect(looksLikeSafetensors(ws)).toBe(true);
    const notSt = [
      new TextEncoder().encode('{"format": "layers-model", "weightsManifest": []}'),
      new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0, 0x7b]),
      new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0, 8, 0, 0x7b]),
      buildSafetensors('[]'),
    ];
    for (const h of notSt) expect(safetensorsReader.match('x.dat', h)).toBe(false);
  });

  it('reads PyTorch\'s values at every data offset mod 8 and from unaligned memory', async () => {
    for (const file of ['all_dtypes.safetensors', 'unaligned.safetensors']) {
      const bytes = new Uint8Array(readFileSync(join(ST_DIR, file)));
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = bytes.subarray(8, 8 + headerLen), data = bytes.subarray(8 + headerLen);
      const offsets = new Set<number>();
      for (let pad = 0; pad < 8; pad++) {
        // Trailing spaces in the header move the data start; a leading byte misaligns the memory too.
        const moved = concat(u64(headerLen + pad), header, new TextEncoder().encode(' '.repeat(pad)), data);
        offsets.add((8 + headerLen + pad) % 8);
        for (const shift of [0, 1, 3]) {
          const { checkpoints, errors } = await openCheckpoints([bytesSource(file, concat(new Uint8Array(shift), moved).subarray(shift))]);
          expect(errors).toEqual([]);
          await checkSafetensorsGolden(checkpoints[0], file);
          for (const t of checkpoints[0].tensors) {
            const all = await t.read();
            for (let s = 1; s < t.byteLength; s += 2) expect(await t.read(s, Math.min(3, t.byteLength - s)), `${file} ${t.name} at ${s}`).toEqual(all.subarray(s, s + 3));
          }
        }
      }
      expect(offsets.size, file).toBe(8);
    }
  });
});
