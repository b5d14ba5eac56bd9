/**
 * Checks shared by both engines, so a bad call fails the same way whichever engine runs it.
 */
import type { ComputeDType } from '../../../formats/dtype';

/**
 * One input of a call: packed little-endian words of one tensor chunk (F32, F16 or BF16). All inputs of
 * a call have the same element count.
 */
export interface ChunkInput {
  bytes: Uint8Array;
  dtype: ComputeDType;
}

/** A difference of two inputs (x[a] − x[b]) or one input alone (b = null), scaled by w. */
export interface DeltaTerm {
  a: number;
  b: number | null;
  w: number;
}


export const ELEMENT_BYTES: Record<ComputeDType, number> = { F32: 4, F16: 2, BF16: 2 };

/** Element count shared by all inputs; throws a clear message when they disagree or bytes are ragged. */
export function elementCount(op: string, inputs: ChunkInput[]): number {
  if (inputs.length === 0) throw new Error(`${op}: no inputs`);
  let n = -1;
  inputs.forEach((inp, k) => {
    const size = ELEMENT_BYTES[inp.dtype];
    if (size === undefined) throw new Error(`${op}: input ${k} has dtype ${inp.dtype}; engines compute F32, F16 and BF16 only`);
    if (inp.bytes.byteLength % size !== 0) throw new Error(`${op}: input ${k} (${inp.dtype}) has ${inp.bytes.byteLength} bytes, not a whole number of elements`);
    const m = inp.bytes.byteLength / size;
    if (n >= 0 && m !== n) throw new Error(`${op}: input ${k} has ${m} elements, input 0 has ${n}; all inputs of a call must match`);
    n = m;
  });
  return n;
}

function checkIndex(op: string, what: string, i: number | null, count: number): void {
  if (i === null) return;
  if (!Number.isInteger(i) || i < 0 || i >= count) throw new Error(`${op}: ${what} refers to input ${i}, but there are ${count} inputs`);
}

export function checkTerms(op: string, terms: DeltaTerm[], base: number | null, count: number): void {
  checkIndex(op, 'base', base, count);
  terms.forEach((t, j) => {
    checkIndex(op, `term ${j}.a`, t.a, count);
    checkIndex(op, `term ${j}.b`, t.b, count);
    if (typeof t.w !== 'number') throw new Error(`${op}: term ${j} has no weight`);
  });
}

export { checkIndex };

/**
 * DARE spec checks both engines share: one drop probability and one salt per term, each p in [0, 1),
 * and a non-negative integer firstElement.
 */
export function checkDareSpec(op: string, spec: { terms: DeltaTerm[]; p: number[]; salts: number[]; firstElement: number }): void {
  const k = spec.terms.length;
  if (!Array.isArray(spec.p) || spec.p.length !== k) throw new Error(`${op}: ${Array.isArray(spec.p) ? spec.p.length : 'no'} drop probabilities (p) for ${k} terms; give one per term`);
  if (spec.salts.length !== k) throw new Error(`${op}: ${spec.salts.length} salts for ${k} terms`);
  spec.p.forEach((p, j) => {
    if (!(p >= 0 && p < 1)) throw new Error(`${op}: term ${j} has drop probability ${p}; it must be in [0, 1)`);
  });
  if (!Number.isSafeInteger(spec.firstElement) || spec.firstElement < 0) throw new Error(`${op}: firstElement ${spec.firstElement} is not a non-negative integer`);
}
