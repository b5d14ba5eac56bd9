import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { bytesSource } from '../../../src/formats/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { inflatingSource, openZip } from '../../../src/formats/zip';
import { countingSource, fixture, fixtureBytes, makeZip } from './format-helpers';

const text = new TextEncoder();
const ascii = (b: Uint8Array) => new TextDecoder().decode(b);

async function readMember(zipBytes: Uint8Array, name: string, file = 'a.zip'): Promise<Uint8Array> {
  const zip = await openZip(bytesSource(file, zipBytes));
  const e = zip.get(name);
  expect(e, name).toBeDefined();
  const src = await zip.open(e!);
  return src.read(0, src.size);
}

function patch(b: Uint8Array, at: number, bytes: number[]): Uint8Array {
  const c = b.slice();
  c.set(bytes, at);
  return c;
}

describe('zip reader', () => {
  it('reads stored, deflated and data-descriptor members, with a comment after the end record', async () => {
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const z = makeZip([
      { name: 'a.txt', data: text.encode('hello') },
      { name: 'dir/b.bin', data: big, deflate: true },
      { name: 'c.txt', data: text.encode('zero local sizes'), descriptor: true, localExtra: new Uint8Array([0x46, 0x42, 3, 0, 1, 2, 3]) },
    ], `a comment holding a fake end record PK\x05\x06${'\0'.repeat(18)} and more text after it`);
    const zip = await openZip(bytesSource('a.zip', z));
    expect(zip.entries.map((e) => [e.name, e.method, e.uncompressedSize])).toEqual([
      ['a.txt', 0, 5], ['dir/b.bin', 8, 300_000], ['c.txt', 0, 16],
    ]);
    expect(ascii(await readMember(z, 'a.txt'))).toBe('hello');
    // Buffer comparison: vitest's deep equality walks a 300 kB array element by element for seconds.
    expect(Buffer.from(await readMember(z, 'dir/b.bin')).equals(big)).toBe(true);
    expect(ascii(await readMember(z, 'c.txt'))).toBe('zero local sizes');
  });

  it('stored members are views: reading one byte reads one byte of the archive', async () => {
    const z = makeZip([{ name: 'x', data: new Uint8Array(10_000).fill(7) }]);
    const counting = countingSource(bytesSource('v.zip', z));
    const zip = await openZip(counting);
    const src = await zip.open(zip.entries[0]);
    const before = counting.bytesRead;
    expect(Array.from(await src.read(5000, 1))).toEqual([7]);
    expect(counting.bytesRead - before).toBe(1);
  });

  it('reads the ZIP64 fixture (zip64 end record, zip64 extras, zero local sizes)', async () => {
    const zip = await openZip(fixture('zip64.pt'));
    expect(zip.entries.map((e) => e.name)).toContain('archive/data.pkl');
    expect(ascii(await readMember(fixtureBytes('zip64.pt'), 'archive/byteorder'))).toBe('little');
  });

  it('reads numpy\'s force_zip64 local headers (np.savez) and deflated members (savez_compressed)', async () => {
    for (const f of ['stored.npz', 'compressed.npz']) {
      const bytes = await readMember(fixtureBytes(f), 'weight.npy', f);
      expect(Array.from(bytes.subarray(0, 6))).toEqual([0x93, ...text.encode('NUMPY')]);
    }
  });

  it('inflating source: random access, forward continuation, backward restart, concurrent reads', async () => {
    const data = new Uint8Array(2_000_000).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
    const comp = bytesSource('d', new Uint8Array(deflateRawSync(data)));
    const counting = countingSource(comp);
    const src = inflatingSource(counting, data.length);
    expect(await src.read(10, 20)).toEqual(data.subarray(10, 30));
    expect(await src.read(1_000_000, 5)).toEqual(data.subarray(1_000_000, 1_000_005));
    const afterForward = counting.bytesRead;
    expect(await src.read(1_500_000, 5)).toEqual(data.subarray(1_500_000, 1_500_005));
    // Continuing forward reads only the compressed bytes after the cursor, not the whole stream again.
    expect(counting.bytesRead - afterForward).toBeLessThan(comp.size);
    expect(await src.read(3, 4)).toEqual(data.subarray(3, 7));
    const parts = await Promise.all([src.read(1_999_990, 10), src.read(0, 8), src.read(777_777, 100)]);
    expect(parts[0]).toEqual(data.subarray(1_999_990));
    expect(parts[1]).toEqual(data.subarray(0, 8));
    expect(parts[2]).toEqual(data.subarray(777_777, 777_877));
    await expect(src.read(1_999_999, 2)).rejects.toThrow(/outside/);
  });

  const good = makeZip([{ name: 'm/data.pkl', data: text.encode('payload-bytes') }, { name: 'm/x', data: text.encode('xyz'), deflate: true }]);
  const eocd = good.length - 22;
  const cdOffset = new DataView(good.buffer).getUint32(eocd + 16, true);
  const rows: { name: string; bytes: Uint8Array; error: RegExp; member?: string }[] = [
    { name: 'empty file', bytes: new Uint8Array(0), error: /too small to be a zip archive/ },
    { name: 'not a zip', bytes: new Uint8Array(100).fill(65), error: /no zip end-of-central-directory record/ },
    { name: 'truncated tail', bytes: good.subarray(0, good.length - 10), error: /no zip end-of-central-directory/ },
    { name: 'truncated before the central directory', bytes: good.subarray(0, cdOffset + 10), error: /end-of-central-directory|central directory/ },
    { name: 'central directory offset past its end', bytes: patch(good, eocd + 16, [0xff, 0xff, 0, 0]), error: /central directory .* runs past/ },
    { name: 'entry count larger than the directory', bytes: patch(good, eocd + 10, [0xff, 0x00]), error: /claims 255 entries/ },
    { name: 'corrupt central entry signature', bytes: patch(good, cdOffset, [0, 0, 0, 0]), error: /central directory entry 0 is corrupt/ },
    { name: 'multi-disk archive', bytes: patch(good, eocd + 4, [1, 0]), error: /multi-disk/ },
    { name: 'local header offset beyond the data', bytes: patch(good, cdOffset + 42, [0xf0, 0xff, 0, 0]), error: /local header outside the archive data/ },
    { name: 'corrupt local header', bytes: patch(good, 0, [0x50, 0x4b, 9, 9]), error: /'m\/data.pkl' has a corrupt local header/, member: 'm/data.pkl' },
    { name: 'member size past the directory', bytes: patch(good, cdOffset + 20, [0xff, 0xff, 0, 0]), error: /runs past the archive data/, member: 'm/data.pkl' },
    { name: 'unknown compression method', bytes: makeZip([{ name: 'q', data: text.encode('x'), method: 12 }]), error: /compression method 12/, member: 'q' },
    { name: 'encrypted member', bytes: makeZip([{ name: 'q', data: text.encode('x'), flags: 1 }]), error: /'q' is encrypted/ },
    { name: 'deflated member with a wrong CRC', bytes: patch(good, cdOffset + 46 + 10 + 16, [1, 2, 3, 4]), error: /^bad\.zip:m\/x: CRC-32 mismatch/, member: 'm/x' },
    { name: 'zip64 marker without a locator', bytes: patch(good, eocd + 10, [0xff, 0xff]), error: /zip64 end-of-central-directory locator is missing/ },
  ];
  for (const row of rows) {
    it(`refuses: ${row.name}`, async () => {
      const run = async () => {
        const zip = await openZip(bytesSource('bad.zip', row.bytes));
        if (row.member) {
          const src = await zip.open(zip.get(row.member)!);
          await src.read(0, src.size);
        }
      };
      const err = await run().then(() => undefined, (e: unknown) => e);
      expect(err, row.name).toBeInstanceOf(FormatError);
      expect((err as Error).message).toMatch(/^bad\.zip(:[^:]+)?: /);
      expect((err as Error).message).toMatch(row.error);
    });
  }

  it('refuses corrupt and truncated deflate data naming the member', async () => {
    const data = new Uint8Array(50_000).map((_, i) => i & 0xff);
    const z = makeZip([{ name: 'w.npy', data, deflate: true }]);
    const zip = await openZip(bytesSource('c.npz', z));
    const e = zip.entries[0];
    // Garbage compressed stream (same sizes).
    const garbage = z.slice();
    const start = 30 + e.name.length;
    garbage.fill(0xff, start, start + 64);
    const bad = await openZip(bytesSource('c.npz', garbage));
    const src = await bad.open(bad.entries[0]);
    await expect(src.read(0, src.size)).rejects.toThrow(/^c\.npz:w\.npy: corrupt deflate data/);
    // A stream that ends early: claim a larger uncompressed size.
    const short = inflatingSource(bytesSource('s.npz:w.npy', new Uint8Array(deflateRawSync(data))), data.length + 100);
    await expect(short.read(0, short.size)).rejects.toThrow(/deflate data ends after 50000 of 50100 bytes/);
  });

  it('survives a hostile tail: every truncation of a real archive fails cleanly or reads correctly', async () => {
    const bytes = fixtureBytes('zip64.pt');
    for (let cut = 0; cut < bytes.length; cut += 97) {
      const err = await openZip(bytesSource('t.pt', bytes.subarray(0, cut))).then(() => undefined, (e: unknown) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(FormatError);
    }
  });
});
