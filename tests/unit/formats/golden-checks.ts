/**
 * The checks behind fixtures.manifest.ts's `golden` column: an opened checkpoint against PyTorch's
 * values (safetensors/golden.json), torch's and numpy's (torch/golden.json), or the test's own decoder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readTensorF32, type Checkpoint } from '../../../src/formats/checkpoint';
import { decodeSafetensorsFile } from './independent-safetensors';

export const FIXTURES = join(import.meta.dirname, '../../fixtures');

type G = number | string;
interface SafetensorsGolden { dtype: string; shape: number[]; sum: G; l2: G; first: G[]; values?: G[] }
interface TorchGolden { dtype: string; shape: number[]; sum: number; l2: number; first: number[] }

const json = (rel: string) => JSON.parse(readFileSync(join(FIXTURES, rel), 'utf8'));
const SAFETENSORS_GOLDEN: Record<string, any> = json('safetensors/golden.json');
// torch/golden.json, and oft/golden.json (make_oft_fixtures.py: keys 'oft/<path>')
const TORCH_GOLDEN: Record<string, Record<string, TorchGolden>> = { ...json('torch/golden.json'), ...json('oft/golden.json') };

const num = (g: G): number => (typeof g === 'number' ? g : g === 'NaN' ? NaN : g === 'Infinity' ? Infinity : -Infinity);
/** The float32 the app decodes equals the reference rounded to float32 (NaN for NaN). */
const sameF32 = (actual: number, expected: number) => Object.is(actual, Math.fround(expected)) || (Number.isNaN(actual) && Number.isNaN(expected));

function sums(v: Float32Array): { sum: number; l2: number; l1: number } {
  let sum = 0, sq = 0, l1 = 0;
  for (const x of v) {
    sum += x;
    sq += x * x;
    l1 += Math.abs(x);
  }
  return { sum, l2: Math.sqrt(sq), l1 };
}

/** safetensors/golden.json[key]: a file's tensors, or a shard set's ({order?, shards: {file: tensors}}). */
export async function checkSafetensorsGolden(ck: Checkpoint, key: string): Promise<void> {
  const g = SAFETENSORS_GOLDEN[key];
  const want: Record<string, SafetensorsGolden> = g.shards ? Object.assign({}, ...Object.values(g.shards)) : g;
  expect(ck.tensors.map((t) => t.name)).toEqual(g.order ?? Object.keys(want));
  for (const t of ck.tensors) {
    const w = want[t.name];
    expect([t.name, t.dtype, t.shape]).toEqual([t.name, w.dtype, w.shape]);
    const v = await readTensorF32(t);
    const expected = (w.values ?? w.first).map(num);
    for (let i = 0; i < expected.length; i++) {
      if (!sameF32(v[i], expected[i])) throw new Error(`${t.name}[${i}]: got ${v[i]}, torch says ${expected[i]}`);
    }
    const { sum, l2, l1 } = sums(v);
    for (const [got, exp] of [[sum, num(w.sum)], [l2, num(w.l2)]]) {
      if (Number.isNaN(exp)) expect(got).toBeNaN();
      else if (!Number.isFinite(exp)) expect(got).toBe(exp);
      // Decoding to float32 rounds F64/I64 values, so the tolerance scales with the magnitudes summed.
      else expect(Math.abs(got - exp), t.name).toBeLessThanOrEqual(1e-6 * Math.max(1, l1, Math.abs(exp)));
    }
  }
}

/** torch/golden.json[key]: names, dtype, shape, sum, L2 and the first 8 values of every tensor. */
export async function checkTorchGolden(ck: Checkpoint, key: string): Promise<void> {
  const tensors = TORCH_GOLDEN[key];
  expect(ck.tensors.map((t) => t.name).sort()).toEqual(Object.keys(tensors).sort());
  for (const t of ck.tensors) {
    const g = tensors[t.name];
    expect(t.dtype, t.name).toBe(g.dtype);
    expect(t.shape, t.name).toEqual(g.shape);
    const v = await readTensorF32(t);
    expect(v.length, t.name).toBe(g.shape.reduce((a, b) => a * b, 1));
    const { sum, l2 } = sums(v);
    // F64 decodes to f32, so allow f32 rounding; every other kind is exact in f32.
    const tol = (t.dtype === 'F64' ? 1e-6 : 1e-9) * (g.l2 * Math.sqrt(v.length) + 1);
    expect(Math.abs(sum - g.sum), `${t.name} sum ${sum} vs ${g.sum}`).toBeLessThanOrEqual(tol);
    expect(Math.abs(l2 - g.l2), `${t.name} l2`).toBeLessThanOrEqual(tol);
    expect(Array.from(v.slice(0, 8)), `${t.name} first elements`).toEqual(g.first.map(Math.fround));
  }
}

/** The test's own decoder over `files` (shards in order): names, dtypes, shapes and every value; metadata of a single file. */
/** The same tensors as the safetensors file `like` (under tests/fixtures, read by the test's own decoder), each name with `prefix` before it. */
export async function checkLike(ck: Checkpoint, like: string, prefix: string): Promise<void> {
  const want = [...decodeSafetensorsFile(join(FIXTURES, like)).tensors];
  expect(ck.tensors.map((t) => t.name)).toEqual(want.map(([name]) => prefix + name));
  for (const [t, [, w]] of ck.tensors.map((t, i) => [t, want[i]] as const)) {
    expect([t.dtype, t.shape], t.name).toEqual([w.dtype, w.shape]);
    const v = await readTensorF32(t);
    for (let i = 0; i < v.length; i++) {
      if (!sameF32(v[i], w.values[i])) throw new Error(`${t.name}[${i}]: got ${v[i]}, ${like} holds ${w.values[i]}`);
    }
  }
}

export async function checkDecoded(ck: Checkpoint, files: string[], exactMetadata = true): Promise<void> {
  const decoded = files.map(decodeSafetensorsFile);
  const want = decoded.flatMap((d) => [...d.tensors]);
  expect(ck.tensors.map((t) => t.name)).toEqual(want.map(([name]) => name));
  for (const [t, [, w]] of ck.tensors.map((t, i) => [t, want[i]] as const)) {
    expect([t.name, t.dtype, t.shape]).toEqual([t.name, w.dtype, w.shape]);
    const v = await readTensorF32(t);
    expect(v.length, t.name).toBe(w.values.length);
    for (let i = 0; i < v.length; i++) {
      if (!sameF32(v[i], w.values[i])) throw new Error(`${t.name}[${i}]: got ${v[i]}, the test decoder says ${w.values[i]}`);
    }
  }
  if (decoded.length === 1 && exactMetadata) expect(ck.metadata).toEqual(decoded[0].metadata);
  else if (decoded.length === 1) expect(ck.metadata).toMatchObject(decoded[0].metadata);
}
