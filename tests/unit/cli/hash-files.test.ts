/** SHA-256 of input files in worker threads (the CLI's hashing) against node:crypto on the whole file. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashFilesInWorkers } from '../../../src/node/hash-files';

const dir = mkdtempSync(join(tmpdir(), 'capvector-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hashFilesInWorkers', () => {
  it('gives each file its SHA-256, in order, counting every byte, with fewer workers than files', async () => {
    const sizes = [0, 1, 8 << 20, (8 << 20) + 3, 12345];
    const paths = sizes.map((n, i) => {
      const b = Buffer.alloc(n);
      for (let k = 0; k < n; k += 4093) b[k] = (k * 31 + i) & 0xff;
      const p = join(dir, `f${i}.bin`);
      writeFileSync(p, b);
      return p;
    });
    let counted = 0;
    const got = await hashFilesInWorkers(paths, (n) => (counted += n), undefined, 2);
    const want = paths.map((p, i) => {
      const b = Buffer.alloc(sizes[i]);
      for (let k = 0; k < sizes[i]; k += 4093) b[k] = (k * 31 + i) & 0xff;
      return createHash('sha256').update(b).digest('hex');
    });
    expect(got).toEqual(want);
    expect(got[0]).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(counted).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('names the file that cannot be read', async () => {
    await expect(hashFilesInWorkers([join(dir, 'missing.bin')], () => undefined)).rejects.toThrow(/missing\.bin/);
  });

  it('stops when the merge is cancelled', async () => {
    const p = join(dir, 'big.bin');
    writeFileSync(p, Buffer.alloc(64 << 20));
    const ac = new AbortController();
    const run = hashFilesInWorkers([p, p, p, p], () => ac.abort(new Error('cancelled by the user')), ac.signal, 1);
    await expect(run).rejects.toThrow(/cancelled by the user/);
  });
});
