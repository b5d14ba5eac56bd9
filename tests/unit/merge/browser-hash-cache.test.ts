/**
 * The merge Worker's hashing through the IndexedDB cache (src/workers/cached-hash-files.ts), with an
 * in-memory store in place of IndexedDB and a counting hasher in place of the hash Workers: a second
 * runMerge of the same Files hashes nothing and shows no hashing phase, a File with another
 * lastModified or size is hashed again, a plain Blob is always hashed, and the output is the same
 * bytes with and without the cache.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { blobSource } from '../../../src/formats/byte-source';
import { memoryHashCache, type HashCache } from '../../../src/merge/hash-cache';
import { memorySink } from '../../../src/merge/memory-sink';
import { runMerge } from '../../../src/merge/run';
import type { MergeInputs } from '../../../src/merge/types';
import { blobStamp, cachedHashFiles } from '../../../src/workers/cached-hash-files';
import { CASES, FIX, inputsOf, openMemory, recipeOf } from './golden-helpers';

const c = CASES.find((x) => x.name === 'capvector-bf16')!;
const blobOf = new WeakMap<object, Blob>();

function filesOf(lastModified: Record<string, number> = {}): NonNullable<MergeInputs['files']> {
  return Object.entries(c.inputs).map(([role, p]) => {
    const file = new File([readFileSync(join(FIX, p))], p.split('/').pop()!, { lastModified: lastModified[role] ?? 1_700_000_000_000 });
    const source = blobSource(file, p);
    blobOf.set(source, file);
    return { role, name: p, source };
  });
}

async function merge(files: NonNullable<MergeInputs['files']>, cache: HashCache | null) {
  const hashed: string[] = [];
  const phases = new Set<string>();
  const hashBlobs = async (blobs: Blob[], names: string[], onBytes: (n: number) => void) => {
    hashed.push(...names);
    return Promise.all(blobs.map(async (b) => {
      const bytes = new Uint8Array(await b.arrayBuffer());
      onBytes(bytes.length);
      return createHash('sha256').update(bytes).digest('hex');
    }));
  };
  const sink = memorySink();
  const res = await runMerge(recipeOf(c), { ...(await inputsOf(c)), files }, {
    engine: new CpuEngine(),
    sink,
    hashFiles: cachedHashFiles((s) => blobOf.get(s)!, hashBlobs, cache),
    onProgress: (p) => phases.add(p.phase),
  });
  const out = await openMemory(sink.files);
  return { hashed, phases, bytes: sink.files.get('model.safetensors')!, inputs: out.metadata['capvector.inputs'], res };
}

describe('the browser hash cache (pure part)', () => {
  it('a second merge of the same Files hashes nothing, shows no hashing phase, and writes the same bytes', async () => {
    const cache = memoryHashCache();
    const first = await merge(filesOf(), cache);
    expect(first.hashed.sort()).toEqual(Object.values(c.inputs).sort());
    const second = await merge(filesOf(), cache);
    expect(second.hashed).toEqual([]);
    expect(second.phases.has('hashing')).toBe(false);
    expect(Buffer.compare(Buffer.from(second.bytes), Buffer.from(first.bytes))).toBe(0);
    expect(second.inputs).toBe(first.inputs);
    expect(second.res.bytesRead).toBe(first.res.bytesRead); // progress counts the cached files' bytes
    const none = await merge(filesOf(), null);
    expect(none.hashed).toHaveLength(3);
    expect(Buffer.compare(Buffer.from(none.bytes), Buffer.from(first.bytes))).toBe(0);
    for (const h of JSON.parse(first.inputs) as { name: string; sha256: string }[]) {
      expect(h.sha256).toBe(createHash('sha256').update(readFileSync(join(FIX, h.name))).digest('hex'));
    }
  });

  it('hashes again a File with another lastModified, and only that one', async () => {
    const cache = memoryHashCache();
    await merge(filesOf(), cache);
    const again = await merge(filesOf({ sft: 1_700_000_000_001 }), cache);
    expect(again.hashed).toEqual([c.inputs.sft]);
  });

  it('knows a File by path, size and lastModified; a plain Blob not at all', () => {
    const f = new File(['abc'], 'x.safetensors', { lastModified: 42 });
    expect(blobStamp('m/x.safetensors', f)).toEqual({ key: 'm/x.safetensors', size: 3, version: '42' });
    expect(blobStamp('m/x.safetensors', new File(['abcd'], 'x.safetensors', { lastModified: 42 }))?.size).toBe(4);
    expect(blobStamp('m/x.safetensors', new Blob(['abc']))).toBeNull();
  });
});
