import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { pytorchReader } from '../../../src/formats/pytorch';
import { countingSource, f32Bytes, fixture, fixtureBytes, noSiblings, pk, torchStatePickle, torchZip, u32le } from './format-helpers';

const open = (rel: string) => pytorchReader.open(fixture(rel), noSiblings);
const head = (b: Uint8Array) => b.subarray(0, 64);

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(FormatError);
  return e as Error;
}

describe('torch.save archives', () => {
  it('any byte range of a view equals the same range of its full contiguous read', async () => {
    for (const f of ['views.pt', 'bigendian.pt']) {
      const ck = await open(f);
      for (const t of ck.tensors) {
        const all = await t.read();
        expect(all.length).toBe(t.byteLength);
        for (const [s, n] of [[0, 1], [1, 3], [3, 9], [t.byteLength >> 1, t.byteLength >> 2], [t.byteLength - 1, 1], [5, t.byteLength - 7]]) {
          if (n <= 0 || s < 0 || s + n > t.byteLength) continue;
          expect(await t.read(s, n), `${f} ${t.name} [${s}, +${n})`).toEqual(all.subarray(s, s + n));
        }
      }
    }
  });

  it('reads contiguous views exactly, and strided views within their storage span only', async () => {
    const counting = countingSource(fixture('views.pt'));
    const ck = await pytorchReader.open(counting, noSiblings);
    const byName = Object.fromEntries(ck.tensors.map((t) => [t.name, t]));
    await byName.rows.read(0, 1); // starts the storage's view
    let before = counting.bytesRead;
    await byName.rows.read(8, 12);
    expect(counting.bytesRead - before).toBe(12);
    before = counting.bytesRead;
    await byName.col.read(); // w[:, 2] of a 4x6 f32: elements 2, 8, 14, 20
    expect(counting.bytesRead - before).toBe((20 - 2 + 1) * 4);
  });

  it('refuses reads outside a tensor', async () => {
    const t = (await open('dtypes.pt')).tensors[0];
    await expect(t.read(0, t.byteLength + 1)).rejects.toThrow(/outside tensor 'f64'/);
  });

  it('refuses a bare pickle with a clear message (the legacy fixture is a manifest row)', async () => {
    const bare = bytesSource('model.pth', pk(0x80, 2, 0x7d, 0x2e));
    expect((await failure(pytorchReader.open(bare, noSiblings))).message).toMatch(/^model\.pth: a bare pickle, not a torch\.save zip archive/);
  });

  it('match(): torch zips and legacy pickles by extension, not npz or raw tfjs shards', () => {
    const zip = head(fixtureBytes('dtypes.pt'));
    expect(pytorchReader.match('model.pt', zip)).toBe(true);
    expect(pytorchReader.match('pytorch_model.bin', zip)).toBe(true);
    expect(pytorchReader.match('weights.npz', zip)).toBe(false);
    expect(pytorchReader.match('old.pt', head(fixtureBytes('legacy.pt')))).toBe(true);
    expect(pytorchReader.match('group1-shard1of2.bin', head(fixtureBytes('tfjs/group1-shard1of2.bin')))).toBe(false);
  });
});

describe('corrupt torch archives', () => {
  const enc = new TextEncoder();
  const t1 = (over: Partial<Parameters<typeof torchStatePickle>[0][0]> = {}) => torchStatePickle([{ name: 'w', key: '0', numel: 10, offset: 0, size: [2, 5], stride: [5, 1], ...over }]);
  const ten = f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const rows: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    { name: 'storage missing', bytes: torchZip('m', t1()), error: /storage '0' is missing from the archive \(no m\/data\/0\)/ },
    { name: 'storage smaller than its numel', bytes: torchZip('m', t1(), { 0: ten.subarray(0, 8) }), error: /storage '0' holds 8 bytes but 10 F32 elements need 40/ },
    { name: 'view past its storage', bytes: torchZip('m', t1({ offset: 5, size: [4], stride: [2] }), { 0: ten }), error: /tensor 'w' reaches element 11 of storage '0', which holds 10/ },
    { name: 'size and stride lengths differ', bytes: torchZip('m', t1({ size: [2, 5], stride: [1] }), { 0: ten }), error: /size and stride differ in length/ },
    { name: 'negative stride', bytes: torchZip('m', t1({ stride: [5, 0xffffffff] }), { 0: ten }), error: /stride is not a tuple of non-negative integers/ },
    { name: 'overflowing shape', bytes: torchZip('m', t1({ size: [0x7fffffff, 0x7fffffff, 0x7fffffff], stride: [1, 1, 1] }), { 0: ten }), error: /overflowing shape/ },
    { name: 'unsupported storage class', bytes: torchZip('m', t1({ storage: 'ComplexFloatStorage' }), { 0: ten }), error: /refusing pickle global 'torch\.ComplexFloatStorage'/ },
    { name: 'unknown byteorder', bytes: torchZip('m', t1(), { 0: ten }, { byteorder: enc.encode('middle') }), error: /unknown byteorder 'middle'/ },
    { name: 'persistent id that is not a storage', bytes: torchZip('m', pk(0x80, 2, 0x58, u32le(1), 'x', 0x51, 0x2e)), error: /persistent id that is not a storage/ },
    { name: 'pickle truncated', bytes: torchZip('m', t1().subarray(0, 60), { 0: ten }), error: /m\/data\.pkl: pickle data is truncated|ends without a STOP/ },
  ];
  // Renaming data.pkl in both headers leaves an archive without one.
  const renamed = Buffer.from(torchZip('m', t1(), { 0: ten })).toString('latin1').split('m/data.pkl').join('m/dat4.pkl');
  rows.push({ name: 'no data.pkl', bytes: new Uint8Array(Buffer.from(renamed, 'latin1')), error: /zip archive has no data\.pkl \(not a torch\.save file\)/ });
  for (const r of rows) {
    it(`refuses: ${r.name}`, async () => {
      const e = await failure(pytorchReader.open(bytesSource('bad.pt', r.bytes), noSiblings));
      expect(e.message).toMatch(/^bad\.pt/);
      expect(e.message).toMatch(r.error);
    });
  }

  it('a well-formed hand-made archive reads (the rows above differ from it by one fault each)', async () => {
    const ck = await pytorchReader.open(bytesSource('ok.pt', torchZip('m', t1({ offset: 1, size: [3], stride: [3] }), { 0: ten })), noSiblings);
    expect(Array.from(new Float32Array((await ck.tensors[0].read()).slice().buffer))).toEqual([1, 4, 7]);
  });

  it('storage classes of newer torch (float8, unsigned) map to their safetensors dtypes', async () => {
    const cases: [string, string, number[]][] = [['Float8_e4m3fnStorage', 'F8_E4M3', [0x38, 0x40]], ['Float8_e5m2Storage', 'F8_E5M2', [0x3c, 0xc0]], ['UInt16Storage', 'U16', [1, 0, 0xff, 0xff]]];
    for (const [cls, dtype, bytes] of cases) {
      const n = bytes.length / (dtype === 'U16' ? 2 : 1);
      const zip = torchZip('m', torchStatePickle([{ name: 'q', key: '0', numel: n, offset: 0, size: [n], stride: [1], storage: cls }]), { 0: Uint8Array.from(bytes) });
      const t = (await pytorchReader.open(bytesSource('f8.pt', zip), noSiblings)).tensors[0];
      expect(t.dtype).toBe(dtype);
      expect(Array.from(await t.read())).toEqual(bytes);
    }
  });

  it('every truncation of a real archive fails with a FormatError', async () => {
    const bytes = fixtureBytes('views.pt');
    for (let cut = 0; cut < bytes.length; cut += 61) {
      const e = await pytorchReader.open(bytesSource('cut.pt', bytes.subarray(0, cut)), noSiblings).then(() => undefined, (x: unknown) => x);
      expect(e, `cut at ${cut}`).toBeInstanceOf(FormatError);
    }
  });
});
