/**
 * The safetensors reader against golden values that PyTorch computed (tests/fixtures/
 * make_safetensors_fixtures.py): every element decoded to float32 must equal torch's value rounded
 * to float32, and sums / L2 norms agree in float64.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../../../src/formats/byte-source';
import { readTensorF32, type Checkpoint } from '../../../src/formats/checkpoint';
import { safetensorsReader } from '../../../src/formats/safetensors';
import { fileSource, closeAll } from '../../../src/node/file-source';

const DIR = join(__dirname, '../../fixtures/safetensors');
type G = number | string;
interface GoldenTensor { dtype: string; shape: number[]; sum: G; l2: G; first: G[]; values?: G[] }
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Record<string, any>;

const num = (g: G): number => (typeof g === 'number' ? g : g === 'NaN' ? NaN : g === 'Infinity' ? Infinity : -Infinity);

function sameF32(actual: number, expected: number): boolean {
  return Object.is(actual, Math.fround(expected)) || (Number.isNaN(actual) && Number.isNaN(expected));
}

async function checkTensors(ck: Checkpoint, want: Record<string, GoldenTensor>) {
  expect(ck.tensors.map((t) => t.name)).toEqual(Object.keys(want));
  for (const t of ck.tensors) {
    const g = want[t.name];
    expect([t.name, t.dtype, t.shape]).toEqual([t.name, g.dtype, g.shape]);
    const v = await readTensorF32(t);
    const expected = (g.values ?? g.first).map(num);
    for (let i = 0; i < expected.length; i++) {
      if (!sameF32(v[i], expected[i])) throw new Error(`${t.name}[${i}]: got ${v[i]}, torch says ${expected[i]}`);
    }
    let sum = 0;
    let sq = 0;
    let l1 = 0;
    for (const x of v) {
      sum += x;
      sq += x * x;
      l1 += Math.abs(x);
    }
    for (const [got, exp] of [[sum, num(g.sum)], [Math.sqrt(sq), num(g.l2)]]) {
      if (Number.isNaN(exp)) expect(got).toBeNaN();
      else if (!Number.isFinite(exp)) expect(got).toBe(exp);
      // Decoding to float32 rounds F64/I64 values, so the tolerance scales with the magnitudes summed.
      else expect(Math.abs(got - exp), t.name).toBeLessThanOrEqual(1e-6 * Math.max(1, l1, Math.abs(exp)));
    }
  }
}

describe('safetensors fixtures match PyTorch golden values', () => {
  for (const file of ['all_dtypes.safetensors', 'scalar_zero_meta.safetensors', 'unaligned.safetensors']) {
    it(`${file} (in memory)`, async () => {
      const bytes = new Uint8Array(readFileSync(join(DIR, file)));
      const ck = await safetensorsReader.open(bytesSource(file, bytes), () => undefined);
      await checkTensors(ck, golden[file]);
    });
    it(`${file} (Node file handle)`, async () => {
      const ck = await safetensorsReader.open(await fileSource(join(DIR, file), file), () => undefined);
      await checkTensors(ck, golden[file]);
      await closeAll();
    });
  }

  it('covers every dtype torch 1.13 has plus both float8 kinds over all 256 codes', async () => {
    const dtypes = Object.values(golden['all_dtypes.safetensors'] as Record<string, GoldenTensor>).map((t) => t.dtype);
    expect(new Set(dtypes)).toEqual(new Set(['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2']));
    const ck = await safetensorsReader.open(bytesSource('a', new Uint8Array(readFileSync(join(DIR, 'all_dtypes.safetensors')))), () => undefined);
    const e4 = await readTensorF32(ck.tensors.find((t) => t.name === 'f8_e4m3')!);
    expect(e4.length).toBe(256);
    expect([e4[0x7e], e4[0x01], e4[0x08]]).toEqual([448, 2 ** -9, 2 ** -6]); // max normal, min subnormal, min normal
    expect(e4.filter(Number.isNaN).length).toBe(2); // 0x7f and 0xff
    const e5 = await readTensorF32(ck.tensors.find((t) => t.name === 'f8_e5m2')!);
    expect([e5[0x7b], e5[0x7c], e5[0x01]]).toEqual([57344, Infinity, 2 ** -16]);
    expect(e5.filter(Number.isNaN).length).toBe(6);
  });

  it('keeps metadata, scalars and zero-size tensors', async () => {
    const ck = await safetensorsReader.open(bytesSource('s', new Uint8Array(readFileSync(join(DIR, 'scalar_zero_meta.safetensors')))), () => undefined);
    expect(ck.metadata).toEqual({ description: 'scalar, zero-size tensors and metadata', 'ünïcode': '✓' });
    expect(ck.tensors.map((t) => [t.name, t.shape, t.byteLength])).toEqual([['scalar', [], 4], ['empty_rows', [0, 4], 0], ['empty_cols', [2, 0], 0], ['after', [2, 3], 12]]);
    expect(Array.from(await readTensorF32(ck.tensors[0]))).toEqual([3.5]);
    expect((await ck.tensors[1].read()).byteLength).toBe(0);
  });

  it('reads tensors at odd file offsets (header length is odd)', () => {
    const bytes = readFileSync(join(DIR, 'unaligned.safetensors'));
    expect(Number(bytes.readBigUInt64LE(0)) % 2).toBe(1);
  });
});
