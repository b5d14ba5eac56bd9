/**
 * Every tensor our readers return for the fixtures written by real torch.save / np.save / a hand-written
 * tfjs model must match the golden values torch and numpy computed (tests/fixtures/make_torch_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, TensorEntry } from '../../../src/formats/checkpoint';
import { readTensorF32 } from '../../../src/formats/checkpoint';
import { npyReader } from '../../../src/formats/npy';
import { npzReader } from '../../../src/formats/npz';
import { pytorchReader } from '../../../src/formats/pytorch';
import { tfjsReader } from '../../../src/formats/tfjs';
import { FIXTURES, fixture, siblingsOf } from './format-helpers';

interface Golden { dtype: string; shape: number[]; sum: number; l2: number; first: number[] }
const golden: Record<string, Record<string, Golden>> = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8'));

async function openFixture(rel: string): Promise<TensorEntry[]> {
  if (rel.endsWith('.index.json')) {
    // Shards one by one through the torch reader (the index itself is another helper's reader).
    const index = JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8')) as { weight_map: Record<string, string> };
    const shards = [...new Set(Object.values(index.weight_map))];
    const sib = siblingsOf(rel);
    const all: TensorEntry[] = [];
    for (const s of shards) all.push(...(await pytorchReader.open(sib(s)!, sib)).tensors);
    return all;
  }
  const src = fixture(rel);
  const head = await src.read(0, Math.min(64, src.size));
  const reader = [pytorchReader, npzReader, npyReader, tfjsReader].find((r) => r.match(rel, head));
  expect(reader, `a reader for ${rel}`).toBeDefined();
  const ck: Checkpoint = await reader!.open(src, siblingsOf(rel));
  return ck.tensors;
}

describe('golden values from torch / numpy', () => {
  for (const [rel, tensors] of Object.entries(golden)) {
    it(`${rel}: every tensor matches`, async () => {
      const entries = await openFixture(rel);
      expect(entries.map((t) => t.name).sort()).toEqual(Object.keys(tensors).sort());
      for (const t of entries) {
        const g = tensors[t.name];
        expect(t.dtype, t.name).toBe(g.dtype);
        expect(t.shape, t.name).toEqual(g.shape);
        const v = await readTensorF32(t);
        expect(v.length, t.name).toBe(g.shape.reduce((a, b) => a * b, 1));
        let sum = 0;
        let sq = 0;
        for (const x of v) {
          sum += x;
          sq += x * x;
        }
        // F64 decodes to f32, so allow f32 rounding; every other kind is exact in f32.
        const tol = (t.dtype === 'F64' ? 1e-6 : 1e-9) * (g.l2 * Math.sqrt(v.length) + 1);
        expect(Math.abs(sum - g.sum), `${t.name} sum ${sum} vs ${g.sum}`).toBeLessThanOrEqual(tol);
        expect(Math.abs(Math.sqrt(sq) - g.l2), `${t.name} l2`).toBeLessThanOrEqual(tol);
        expect(Array.from(v.slice(0, 8)), `${t.name} first elements`).toEqual(g.first.map(Math.fround));
      }
    });
  }

  it('covers every torch dtype, views, nested, zip64, big-endian, npy, npz and tfjs', () => {
    const dtypes = new Set(Object.values(golden['dtypes.pt']).map((g) => g.dtype));
    expect([...dtypes].sort()).toEqual(['BF16', 'BOOL', 'F16', 'F32', 'F64', 'I16', 'I32', 'I64', 'I8', 'U8']);
    for (const f of ['views.pt', 'nested.ckpt', 'zip64.pt', 'bigendian.pt', 'renamed_folder.bin', 'stored.npz', 'compressed.npz', 'tfjs/model.json', 'f64_fortran.npy']) {
      expect(golden[f], f).toBeDefined();
    }
  });
});
