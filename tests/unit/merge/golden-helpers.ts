/** Shared by the merge tests: fixture cases, recipes from them, and the ≤ 1 ulp / ≥ 99.9 % comparison. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bytesSource } from '../../../src/formats/byte-source';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { openCheckpoints } from '../../../src/formats/registry';
import { openPath } from '../../../src/node/paths';
import type { MergeInputs, Recipe } from '../../../src/merge/types';

export const FIX = resolve(__dirname, '../../fixtures/merge');

export interface GoldenCase {
  name: string;
  method: Recipe['method'];
  inputs: Record<string, string>;
  params: Recipe['params'];
  outDtype: Recipe['outDtype'];
  exclude: string[];
  models: { path: string; params: Record<string, number> }[];
  expected: string;
  /** F32 outputs: per-element allowance (a few float32 roundings of Σ|terms|), see the golden script. */
  cli: string[];
  sharded: boolean;
}

export const CASES: GoldenCase[] = JSON.parse(readFileSync(join(FIX, 'cases.json'), 'utf8')).cases;

export function recipeOf(c: GoldenCase, shardSize = 0): Recipe {
  return {
    method: c.method,
    roles: { ...c.inputs, ...(c.models.length ? { models: c.models.map((m) => ({ name: m.path, params: m.params })) } : {}) },
    params: c.params,
    exclude: c.exclude.length ? c.exclude : undefined,
    outDtype: c.outDtype,
    shardSize,
  };
}

export async function inputsOf(c: GoldenCase): Promise<MergeInputs> {
  const inputs: MergeInputs = {};
  for (const [role, p] of Object.entries(c.inputs)) (inputs as Record<string, Checkpoint>)[role] = await openPath(join(FIX, p));
  if (c.models.length) inputs.models = await Promise.all(c.models.map((m) => openPath(join(FIX, m.path))));
  return inputs;
}

/** Opens in-memory output files (a sink's committed files) as one checkpoint. */
export async function openMemory(files: Map<string, Uint8Array>): Promise<Checkpoint> {
  const srcs = [...files].filter(([n]) => n.endsWith('.safetensors') || n.endsWith('.index.json')).map(([n, b]) => bytesSource(`out/${n}`, b));
  const { checkpoints, errors } = await openCheckpoints(srcs);
  if (errors.length) throw errors[0];
  if (checkpoints.length !== 1) throw new Error(`expected one output checkpoint, got ${checkpoints.length}`);
  return checkpoints[0];
}

/** Ordered integer of a float's bits (sign-magnitude → two's complement order), for ulp distances. */
function ordered(bits: number, signBit: number): number {
  return bits & signBit ? -(bits & (signBit - 1)) : bits;
}

export interface Comparison {
  elements: number;
  exact: number;
  maxUlp: number;
  worst: string;
}

/** Compares every tensor of `actual` with `expected`: same names, order, dtypes, shapes; bits within 1 ulp. */
export async function compareCheckpoints(actual: Checkpoint, expected: Checkpoint): Promise<Comparison> {
  const names = (c: Checkpoint) => c.tensors.map((t) => t.name);
  if (names(actual).join('\n') !== names(expected).join('\n')) {
    throw new Error(`tensor names/order differ:\n actual   ${names(actual).join(', ')}\n expected ${names(expected).join(', ')}`);
  }
  const cmp: Comparison = { elements: 0, exact: 0, maxUlp: 0, worst: '' };
  for (let i = 0; i < expected.tensors.length; i++) {
    const e = expected.tensors[i];
    const a = actual.tensors[i];
    if (a.dtype !== e.dtype || a.shape.join(',') !== e.shape.join(',')) throw new Error(`${e.name}: ${a.dtype}[${a.shape}] vs expected ${e.dtype}[${e.shape}]`);
    const ab = await a.read();
    const eb = await e.read();
    if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
      if (Buffer.compare(Buffer.from(ab), Buffer.from(eb)) !== 0) throw new Error(`${e.name}: ${e.dtype} bytes differ (must pass through unchanged)`);
      continue;
    }
    const wide = e.dtype === 'F32';
    const av = wide ? new Uint32Array(ab.slice().buffer) : new Uint16Array(ab.slice().buffer);
    const ev = wide ? new Uint32Array(eb.slice().buffer) : new Uint16Array(eb.slice().buffer);
    const sign = wide ? 0x80000000 : 0x8000;
    const isNan = (b: number) => (wide ? (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 : e.dtype === 'F16' ? (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0 : (b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0);
    for (let k = 0; k < ev.length; k++) {
      cmp.elements++;
      const x = av[k] >>> 0, y = ev[k] >>> 0;
      if (x === y || (isNan(x) && isNan(y))) {
        cmp.exact++;
        continue;
      }
      const d = Math.abs(ordered(x, sign) - ordered(y, sign));
      if (d > cmp.maxUlp) {
        cmp.maxUlp = d;
        cmp.worst = `${e.name}[${k}]: 0x${x.toString(16)} vs expected 0x${y.toString(16)}`;
      }
    }
  }
  return cmp;
}

/**
 * The rule for every output dtype (F32 included, since the engines compute exactly and round
 * once): no element off by more than 1 ulp of the float64 reference rounded once, ≥ 99.9 % bit-exact.
 */
export function assertClose(cmp: Comparison, what: string): void {
  const frac = cmp.exact / Math.max(1, cmp.elements);
  if (cmp.maxUlp > 1 || frac < 0.999) {
    throw new Error(`${what}: max ${cmp.maxUlp} ulp (${cmp.worst}), ${(100 * frac).toFixed(3)}% bit-exact of ${cmp.elements}`);
  }
}
