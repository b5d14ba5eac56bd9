/**
 * The CLI's input-hash cache (src/node/hash-cache-file.ts through src/merge/hash-cache.ts): a second
 * merge of the same inputs takes their SHA-256 from the cache file instead of hashing again, a touched
 * file is hashed again, the output (bytes and metadata) is the same with and without the cache, a
 * corrupt cache file is ignored, and `capvector cache clear` forgets it. The hasher is counted by
 * wrapping the real one.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const hashed = vi.hoisted(() => ({ calls: [] as string[][] }));
vi.mock('../../../src/node/hash-files', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/node/hash-files')>();
  return {
    ...real,
    hashFilesInWorkers: (paths: string[], onBytes: (n: number) => void, signal?: AbortSignal) => {
      hashed.calls.push(paths);
      return real.hashFilesInWorkers(paths, onBytes, signal);
    },
  };
});

import { main } from '../../../src/cli/main';
import { openPath } from '../../../src/node/paths';
import { closeAll } from '../../../src/node/file-source';
import { fileHashCache, fileStamp, hashCacheDir, hashCachePath } from '../../../src/node/hash-cache-file';

const BUF = resolve(__dirname, '../../fixtures/buffers');
const dir = mkdtempSync(join(tmpdir(), 'cv-hash-cache-'));
const cacheDir = join(dir, 'cache');
const inputs = join(dir, 'in');
cpSync(BUF, inputs, { recursive: true });
const savedEnv = process.env.CAPVECTOR_CACHE_DIR;
process.env.CAPVECTOR_CACHE_DIR = cacheDir;
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.CAPVECTOR_CACHE_DIR;
  else process.env.CAPVECTOR_CACHE_DIR = savedEnv;
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;
async function merge(...extra: string[]): Promise<{ out: string; lines: string[] }> {
  const out = join(dir, `out-${runs++}`);
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
  const code = await main(['merge', '--pre', join(inputs, 'pre'), '--aux', join(inputs, 'aux', 'model.safetensors'), '--sft', join(inputs, 'sft'),
    '--alpha', '0.8', '--out', out, '--threads', '0', '--quiet', ...extra], io);
  expect(code, lines.join('\n')).toBe(0);
  return { out, lines };
}
const bytesOf = (out: string) => Object.fromEntries(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f))]));
async function inputHashes(out: string): Promise<{ role: string; name: string; sha256: string }[]> {
  const ck = await openPath(out);
  return JSON.parse(ck.metadata['capvector.inputs']) as { role: string; name: string; sha256: string }[];
}
const hashedNames = () => hashed.calls.flat().map((p) => p.slice(inputs.length + 1));

beforeEach(() => {
  hashed.calls = [];
});

describe('the CLI input-hash cache', () => {
  it('lives in $CAPVECTOR_CACHE_DIR/hashes.json', () => {
    expect(hashCacheDir()).toBe(cacheDir);
    expect(hashCachePath()).toBe(join(cacheDir, 'hashes.json'));
    expect(hashCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/capvector');
  });

  it('a second merge of the same inputs does not hash them again, and writes the same bytes', async () => {
    await main(['cache', 'clear'], { out: () => undefined, err: () => undefined });
    const first = await merge();
    expect(hashedNames().sort()).toEqual(['aux/model.safetensors', 'pre/model.safetensors', 'sft/model.safetensors']);
    expect(existsSync(hashCachePath())).toBe(true);
    hashed.calls = [];
    const second = await merge();
    expect(hashed.calls).toEqual([]); // the hasher was not invoked at all
    expect(second.lines.join('\n')).toMatch(/3 input\(s\) hashed \(3 from the hash cache\)/);
    expect(first.lines.join('\n')).not.toMatch(/from the hash cache/);
    expect(bytesOf(second.out)).toEqual(bytesOf(first.out));
    // without the cache: hashed again, the same bytes and metadata
    const bypass = await merge('--no-hash-cache');
    expect(hashed.calls.flat()).toHaveLength(3);
    expect(bytesOf(bypass.out)).toEqual(bytesOf(first.out));
    const hashes = await inputHashes(first.out);
    expect(hashes.map((h) => h.sha256).every((h) => /^[0-9a-f]{64}$/.test(h))).toBe(true);
    expect(await inputHashes(second.out)).toEqual(hashes);
    expect(await inputHashes(bypass.out)).toEqual(hashes);
  });

  it('hashes a touched file again (and only that one)', async () => {
    await merge();
    hashed.calls = [];
    const p = join(inputs, 'sft', 'model.safetensors');
    const t = new Date(Date.now() + 5000);
    utimesSync(p, t, t);
    const a = await merge();
    expect(hashedNames()).toEqual(['sft/model.safetensors']);
    expect(a.lines.join('\n')).toMatch(/\(2 from the hash cache\)/);
    hashed.calls = [];
    const b = await merge();
    expect(hashed.calls).toEqual([]);
    expect(bytesOf(b.out)).toEqual(bytesOf(a.out));
  });

  it('ignores a corrupt cache file, hashes, and writes a good one in its place', async () => {
    const ref = await merge('--no-hash-cache');
    for (const junk of ['{"version":1,"entries":{', 'null', '{"version":1,"entries":{"/x":{"size":"a"}}}', '\u0000\u0001binary']) {
      writeFileSync(hashCachePath(), junk);
      hashed.calls = [];
      const r = await merge();
      expect(hashed.calls.flat(), junk).toHaveLength(3);
      expect(bytesOf(r.out)).toEqual(bytesOf(ref.out));
      expect(() => JSON.parse(readFileSync(hashCachePath(), 'utf8')) as unknown).not.toThrow();
    }
    // a digest that is not one is never used
    const stored = JSON.parse(readFileSync(hashCachePath(), 'utf8')) as { entries: Record<string, { sha256: string }> };
    for (const e of Object.values(stored.entries)) e.sha256 = 'not-a-digest';
    writeFileSync(hashCachePath(), JSON.stringify(stored));
    hashed.calls = [];
    const r = await merge();
    expect(hashed.calls.flat()).toHaveLength(3);
    expect(bytesOf(r.out)).toEqual(bytesOf(ref.out));
  });

  it('`capvector cache clear` forgets the digests', async () => {
    await merge();
    const lines: string[] = [];
    expect(await main(['cache', 'clear'], { out: (l) => lines.push(l), err: (l) => lines.push(l) })).toBe(0);
    expect(lines[0]).toMatch(/cleared/);
    expect(existsSync(hashCachePath())).toBe(false);
    hashed.calls = [];
    await merge();
    expect(hashed.calls.flat()).toHaveLength(3);
    expect(await main(['cache', 'nope'], { out: () => undefined, err: () => undefined })).toBe(2);
  });

  it('a file whose size or mtime changed does not match its stored stamp', async () => {
    const f = join(dir, 'data.bin');
    writeFileSync(f, 'abc');
    const cache = fileHashCache(join(dir, 'cache-2'));
    const sha = 'a'.repeat(64);
    await cache.setAll([{ stamp: await fileStamp(f), sha256: sha }]);
    expect(await fileHashCache(join(dir, 'cache-2')).get(await fileStamp(f))).toBe(sha);
    const t = (await fileStamp(f)).version;
    appendFileSync(f, 'd');
    const grown = await fileStamp(f);
    expect(grown.size).toBe(4);
    expect(await fileHashCache(join(dir, 'cache-2')).get(grown)).toBeUndefined();
    writeFileSync(f, 'abc');
    const when = new Date(Date.now() - 60_000);
    utimesSync(f, when, when);
    const older = await fileStamp(f);
    expect(older.size).toBe(3);
    expect(older.version).not.toBe(t);
    expect(await fileHashCache(join(dir, 'cache-2')).get(older)).toBeUndefined();
  });
});
