/**
 * hashWithCache (src/merge/hash-cache.ts) with an in-memory store: hits skip the hasher, a changed
 * stamp (size or version) is hashed again, a file changed while hashed is not stored, a failing store
 * never fails the hashing, and progress counts every byte once either way.
 */
import { describe, expect, it } from 'vitest';
import { hashWithCache, memoryHashCache, type FileStamp, type HashCache } from '../../../src/merge/hash-cache';

interface F {
  name: string;
  size: number;
  version: number;
}
const digestOf = (f: F) => `${f.name}:${f.size}:${f.version}`.padEnd(64, '0').replace(/[^0-9a-f]/g, 'e').slice(0, 64);

function setup(cache: HashCache = memoryHashCache()) {
  const calls: string[][] = [];
  let duringHash: (() => void) | null = null;
  const run = async (files: F[]) => {
    let bytes = 0;
    const out = await hashWithCache(files, {
      cache,
      stampOf: (f) => Promise.resolve<FileStamp>({ key: f.name, size: f.size, version: String(f.version) }),
      hash: (list, onBytes) => {
        calls.push(list.map((f) => f.name));
        duringHash?.();
        for (const f of list) onBytes(f.size);
        return Promise.resolve(list.map(digestOf));
      },
      sizeOf: (f) => f.size,
    }, (n) => (bytes += n));
    return { out, bytes };
  };
  return { calls, run, setDuringHash: (f: () => void) => (duringHash = f) };
}

const files = (): F[] => [{ name: 'a/x.safetensors', size: 10, version: 1 }, { name: 'b/y.safetensors', size: 20, version: 1 }];

describe('hashWithCache', () => {
  it('hashes once, then answers from the cache with the same digests and bytes counted', async () => {
    const { calls, run } = setup();
    const fs = files();
    const first = await run(fs);
    expect(calls).toEqual([['a/x.safetensors', 'b/y.safetensors']]);
    expect(first.bytes).toBe(30);
    const second = await run(fs);
    expect(calls).toHaveLength(1);
    expect(second).toEqual(first);
  });

  it('hashes again a file whose size or version changed, only that one, in order', async () => {
    const { calls, run } = setup();
    const fs = files();
    await run(fs);
    fs[1].version = 2;
    const r = await run(fs);
    expect(calls[1]).toEqual(['b/y.safetensors']);
    expect(r.out).toEqual(fs.map(digestOf));
    fs[0].size = 11;
    await run(fs);
    expect(calls[2]).toEqual(['a/x.safetensors']);
    await run(fs);
    expect(calls).toHaveLength(3);
  });

  it('does not store a digest for a file that changed while it was hashed', async () => {
    const cache = memoryHashCache();
    const { calls, run, setDuringHash } = setup(cache);
    const fs = files();
    setDuringHash(() => (fs[0].version += 1));
    await run(fs);
    expect([...cache.entries.keys()]).toEqual(['b/y.safetensors']);
    setDuringHash(() => undefined);
    await run(fs);
    expect(calls[1]).toEqual(['a/x.safetensors']);
  });

  it('survives a store that fails or holds garbage', async () => {
    const broken: HashCache = {
      get: () => Promise.reject(new Error('corrupt')),
      setAll: () => Promise.reject(new Error('quota')),
      clear: () => Promise.resolve(),
    };
    const { calls, run } = setup(broken);
    const r = await run(files());
    expect(r.out).toEqual(files().map(digestOf));
    expect(calls).toHaveLength(1);
    const junk: HashCache = { ...memoryHashCache(), get: () => Promise.resolve('not a digest') };
    const j = setup(junk);
    expect((await j.run(files())).out).toEqual(files().map(digestOf));
    expect(j.calls).toHaveLength(1);
  });

  it('clear forgets everything', async () => {
    const cache = memoryHashCache();
    const { calls, run } = setup(cache);
    await run(files());
    await cache.clear();
    await run(files());
    expect(calls).toHaveLength(2);
  });
});
