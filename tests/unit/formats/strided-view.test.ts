import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../../src/formats/byte-source';
import { bytesSource } from '../../../src/formats/byte-source';
import { isRowMajor, lastElement, readStrided } from '../../../src/formats/strided-view';
import { countingSource } from './format-helpers';

/** Element i of the synthetic storage holds the u32 value i (little-endian), computed on demand. */
function syntheticStorage(elements: number): ByteSource {
  return {
    name: 'synthetic',
    size: elements * 4,
    async read(offset, length) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        const b = offset + i;
        out[i] = (Math.floor(b / 4) >>> ((b % 4) * 8)) & 0xff;
      }
      return out;
    },
  };
}

/** Independent reference: storage index of each row-major element by explicit multi-index arithmetic. */
function referenceIndices(shape: number[], strides: number[], offset: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const res: number[] = [];
  for (let k = 0; k < n; k++) {
    let rem = k;
    let at = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      at += (rem % shape[d]) * strides[d];
      rem = Math.floor(rem / shape[d]);
    }
    res.push(at);
  }
  return res;
}

describe('strided views', () => {
  it('random shapes, strides, offsets and byte ranges match the reference gather', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let trial = 0; trial < 300; trial++) {
      const nd = 1 + rand(4);
      const shape = Array.from({ length: nd }, () => 1 + rand(5));
      const strides = Array.from({ length: nd }, () => rand(4) === 0 ? 0 : 1 + rand(30));
      const offset = rand(10);
      const elemSize = [1, 2, 4, 8][rand(4)];
      const last = lastElement({ shape, strides, offset });
      const storageBytes = new Uint8Array((last + 1) * elemSize).map((_, i) => (i * 13 + 5) & 0xff);
      const swap = rand(3) === 0;
      const ref = referenceIndices(shape, strides, offset);
      const expected = new Uint8Array(ref.length * elemSize);
      ref.forEach((s, k) => {
        for (let j = 0; j < elemSize; j++) expected[k * elemSize + j] = storageBytes[s * elemSize + (swap ? elemSize - 1 - j : j)];
      });
      const start = rand(expected.length);
      const length = rand(expected.length - start + 1);
      const got = await readStrided(bytesSource('s', storageBytes), { shape, strides, offset, elemSize, swap }, start, length);
      expect(got, `shape ${shape} strides ${strides} offset ${offset} e${elemSize} [${start}, +${length})`).toEqual(expected.subarray(start, start + length));
    }
  });

  it('a few elements of a huge storage read only what they need', async () => {
    const storage = countingSource(syntheticStorage(100_000_000)); // 400 MB, never materialised
    const layout = { shape: [2, 3], strides: [40_000_000, 10_000_000], offset: 7, elemSize: 4, swap: false };
    const got = new Uint32Array((await readStrided(storage, layout, 0, 24)).slice().buffer);
    expect(Array.from(got)).toEqual(referenceIndices([2, 3], [40_000_000, 10_000_000], 7));
    expect(storage.bytesRead).toBe(24);
  });

  it('row-major detection ignores size-1 dimensions and rejects transposes', () => {
    expect(isRowMajor([2, 1, 3], [3, 99, 1])).toBe(true);
    expect(isRowMajor([3, 2], [1, 3])).toBe(false);
    expect(isRowMajor([4, 3], [0, 1])).toBe(false);
  });
});
