/**
 * The browser's input reads (src/io/blob-reads.ts) against the bytes themselves: reads through a Blob
 * slice's BYOB reader, into a buffer handed over or a recycled one, give exactly the bytes at that
 * range, and a recycled buffer is taken again by a read of its length.
 */
import { describe, expect, it } from 'vitest';
import { readBlob, recycleBlobReads, recycledBlobReads, recyclingBlobSource } from '../../../src/io/blob-reads';

const data = Uint8Array.from({ length: 300_001 }, (_, i) => (i * 2654435761) >>> 24);
const blob = new Blob([data]);
const want = (off: number, len: number) => Array.from(data.subarray(off, off + len));

describe('readBlob', () => {
  it('gives the bytes of every range, with a buffer handed over or without', async () => {
    let buf: ArrayBuffer | undefined;
    for (const [off, len] of [[0, 0], [0, 1], [7, 65_536], [1, 300_000], [299_999, 2], [123_457, 100_000]]) {
      const fresh = await readBlob(blob, off, len);
      expect(Array.from(fresh), `${len} at ${off}`).toEqual(want(off, len));
      const reused = await readBlob(blob, off, len, buf);
      expect(Array.from(reused), `${len} at ${off}, into a buffer`).toEqual(want(off, len));
      buf = reused.buffer as ArrayBuffer;
    }
  });

  it('says so when the file ends before the range does', async () => {
    await expect(readBlob(blob, 300_000, 10)).rejects.toThrow(/read 1 of 10 bytes at 300000/);
  });
});

describe('recyclingBlobSource', () => {
  it('reuses a given-back buffer for a read of its length, and the bytes are the new range', async () => {
    const src = recyclingBlobSource(blob, 'model.safetensors');
    const a = await src.read(1000, 4096);
    const before = recycledBlobReads();
    recycleBlobReads([{ bytes: a }]);
    expect(recycledBlobReads()).toBe(before + 1);
    const b = await src.read(50_000, 4096);
    expect(recycledBlobReads()).toBe(before);
    expect(Array.from(b)).toEqual(want(50_000, 4096));
    expect(a.byteLength, 'the recycled buffer was read into (detached from the old view)').toBe(0);
  });

  it('refuses a range outside the file, naming it', async () => {
    await expect(recyclingBlobSource(blob, 'model.safetensors').read(300_000, 2)).rejects.toThrow(/model\.safetensors: read of 2 bytes at 300000/);
  });
});
