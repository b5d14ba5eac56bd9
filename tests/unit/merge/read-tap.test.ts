/**
 * Input hashes from the merge's own reads (src/merge/read-tap.ts): the digest is node:crypto's SHA-256
 * of the file whatever the reads were (in order, re-read, with gaps, out of order), and a merge whose
 * inputs are read through taps writes the same bytes as one that hashes every file in a second pass,
 * while reading each input byte once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../../../src/compute/cpu-engine';
import { bytesSource, type ByteSource } from '../../../src/formats/byte-source';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { openCheckpoints } from '../../../src/formats/registry';
import { memorySink } from '../../../src/merge/memory-sink';
import { readTap, type StreamHasher } from '../../../src/merge/read-tap';
import { runMerge } from '../../../src/merge/run';
import type { MergeInputs } from '../../../src/merge/types';
import { CASES, FIX, recipeOf } from './golden-helpers';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function nodeHasher(): StreamHasher & { updates: number } {
  const h = createHash('sha256');
  const me = {
    updates: 0,
    update: async (b: Uint8Array) => {
      me.updates += 1;
      h.update(b);
    },
    digest: async () => h.digest('hex'),
  };
  return me;
}

/** A source over `bytes` that counts what is read from it; fresh buffers per read, as a file's or Blob's reads. */
function counted(name: string, bytes: Uint8Array): ByteSource & { bytesRead: number } {
  const inner = bytesSource(name, new Uint8Array(bytes)); // a copy: a Buffer's slice() is a view
  const me = {
    name,
    size: inner.size,
    bytesRead: 0,
    async read(offset: number, length: number) {
      me.bytesRead += length;
      return (await inner.read(offset, length)).slice();
    },
  };
  return me;
}

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 2654435761) >>> 24;
  return b;
}

describe('readTap', () => {
  it('reads in file order: the digest of the whole file, every byte read once', async () => {
    const bytes = pattern(5_000_123);
    const raw = counted('f', bytes);
    const tap = readTap(raw, nodeHasher());
    await tap.source.read(0, 8);
    await tap.source.read(8, 1000);
    for (let off = 1008; off < bytes.length; off += 700_000) await tap.source.read(off, Math.min(700_000, bytes.length - off));
    let reported = 0;
    expect(await tap.finish((n) => (reported += n))).toBe(sha(bytes));
    expect(raw.bytesRead).toBe(bytes.length);
    expect(reported).toBe(bytes.length);
  });

  it('re-reads, small gaps, reads far ahead and an unread tail: still the digest of the whole file', async () => {
    const bytes = pattern(9_000_001);
    const raw = counted('f', bytes);
    const tap = readTap(raw, nodeHasher());
    await tap.source.read(0, 100);
    await tap.source.read(0, 50); // re-read
    await tap.source.read(4000, 10_000); // a gap of 3900 bytes, filled
    await tap.source.read(8_000_000, 1000); // far ahead: left for finish()
    await tap.source.read(9_000, 20_000); // overlaps what was hashed
    expect(await tap.finish(() => undefined)).toBe(sha(bytes));
    // The gap and the tail are read once more by the tap; the far read's bytes too (it was skipped).
    expect(raw.bytesRead).toBe(100 + 50 + 3900 + 10_000 + 1000 + 20_000 + (bytes.length - 29_000));
  });

  it('a hasher that fails fails the read that fed it', async () => {
    const tap = readTap(bytesSource('f', pattern(100)), {
      update: () => Promise.reject(new Error('hash worker stopped')),
      digest: () => Promise.resolve(''),
    });
    await expect(tap.source.read(0, 10)).rejects.toThrow('hash worker stopped');
  });
});

describe('a merge hashing its inputs from its own reads', () => {
  for (const name of ['capvector-bf16', 'ties-bf16']) {
    it(`${name}: the same output bytes as hashing each file again, each input byte read once`, async () => {
      const c = CASES.find((x) => x.name === name)!;
      const paths: [string, string][] = [...Object.entries(c.inputs), ...c.models.map((m, i): [string, string] => [`model:${i}`, m.path])];

      const open = async (sourceOf: (p: string) => ByteSource) => {
        const inputs: MergeInputs = {};
        const files: NonNullable<MergeInputs['files']> = [];
        const models: Checkpoint[] = [];
        for (const [role, p] of paths) {
          const source = sourceOf(p);
          const { checkpoints, errors } = await openCheckpoints([source]);
          if (errors.length) throw errors[0];
          if (role.startsWith('model:')) models.push(checkpoints[0]);
          else (inputs as Record<string, Checkpoint>)[role] = checkpoints[0];
          files.push({ role, name: p, source });
        }
        if (models.length) inputs.models = models;
        return { ...inputs, files };
      };

      // Reference: every file hashed in a second pass by the executor's own hasher.
      const refSink = memorySink();
      const refRaws = new Map<string, ReturnType<typeof counted>>();
      const refInputs = await open((p) => {
        const raw = counted(p, readFileSync(join(FIX, p)));
        refRaws.set(p, raw);
        return raw;
      });
      await runMerge(recipeOf(c), refInputs, { engine: new CpuEngine(), sink: refSink });

      const raws = new Map<string, ReturnType<typeof counted>>();
      const taps = new Map<ByteSource, ReturnType<typeof readTap>>();
      const inputs = await open((p) => {
        const raw = counted(p, readFileSync(join(FIX, p)));
        raws.set(p, raw);
        const tap = readTap(raw, nodeHasher());
        taps.set(tap.source, tap);
        return tap.source;
      });
      const sink = memorySink();
      await runMerge(recipeOf(c), inputs, {
        engine: new CpuEngine(),
        sink,
        hashFiles: async (files, onBytes, _signal, readsDone) => {
          await readsDone;
          return Promise.all(files.map((f) => taps.get(f.source)!.finish(onBytes)));
        },
      });
      expect([...sink.files.keys()]).toEqual([...refSink.files.keys()]);
      for (const [k, v] of refSink.files) expect(Buffer.from(sink.files.get(k)!).equals(Buffer.from(v)), k).toBe(true);
      const header = new TextDecoder().decode(refSink.files.get('model.safetensors')!.subarray(8, 8 + 4096));
      for (const [, p] of paths) expect(header).toContain(sha(readFileSync(join(FIX, p))));
      // Each input byte read once, beside the few header bytes the format sniffing reads again; hashing
      // in a second pass reads each file twice. (TIES reads each tensor twice, thresholds then the merge:
      // the tap hashes the first pass, so its reads are the merge's own.)
      for (const [p, raw] of raws) {
        expect(raw.bytesRead, p).toBeLessThan(name === 'ties-bf16' ? 2 * raw.size + 4096 : raw.size + 4096);
        expect(refRaws.get(p)!.bytesRead, p).toBeGreaterThanOrEqual(raw.bytesRead + raw.size - 4096);
      }
    });
  }
});
