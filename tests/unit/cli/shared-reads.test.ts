/**
 * The CLI's shared read buffers (src/node/file-source.ts): reads land in SharedArrayBuffers only while
 * switched on, a recycled buffer is reused by a read of the same length and holds that read's bytes,
 * and the cache of recycled buffers stays bounded however many lengths come by.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, fileSource, recycleReads, recycledCount, shareReads } from '../../../src/node/file-source';

const dir = mkdtempSync(join(tmpdir(), 'capvector-shared-'));
const path = join(dir, 'data.bin');
const data = new Uint8Array(1 << 16).map((_, i) => (i * 37 + 11) & 0xff);
writeFileSync(path, data);
afterAll(async () => {
  shareReads(false);
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('shared read buffers', () => {
  it('are shared only while switched on, and reused with the new bytes', async () => {
    const src = await fileSource(path);
    expect((await src.read(0, 100)).buffer).toBeInstanceOf(ArrayBuffer);
    shareReads(true);
    const a = await src.read(0, 4096);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(a.subarray(0, 4))).toEqual(Array.from(data.subarray(0, 4)));
    recycleReads([{ bytes: a }]);
    expect(recycledCount()).toBe(1);
    const b = await src.read(8192, 4096);
    expect(b.buffer).toBe(a.buffer); // the same memory, reused
    expect(recycledCount()).toBe(0);
    expect(Buffer.from(b).equals(Buffer.from(data.subarray(8192, 12288)))).toBe(true);
    // a view into a larger buffer is never recycled (someone else may hold the rest)
    recycleReads([{ bytes: b.subarray(0, 10) }]);
    expect(recycledCount()).toBe(0);
    shareReads(false);
    expect((await src.read(0, 100)).buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('keeps at most 32 buffers, dropping the oldest', async () => {
    const src = await fileSource(path);
    shareReads(true);
    const reads = [];
    for (let len = 1; len <= 100; len++) reads.push(await src.read(0, len));
    recycleReads(reads.map((bytes) => ({ bytes })));
    expect(recycledCount()).toBe(32);
    // the newest lengths (69..100) are the ones kept
    const r = await src.read(0, 100);
    expect(r.buffer).toBe(reads[99].buffer);
    const old = await src.read(0, 5);
    expect(reads.some((x) => x.buffer === old.buffer)).toBe(false);
    shareReads(false);
    expect(recycledCount()).toBe(0);
  });
});
