/**
 * CPU twin of the statistics kernel. v_k = ftz(f32(x[a_k] − x[b_k])) (or ftz(x[a_k])), where ftz makes
 * float32 subnormals (|v| < 2^-126) zero — a GPU may flush them, and counts, signs and min/max must not
 * depend on that. Everything after that is
 * float64 (exact products of float32 values, float64 sums) — the reference the WebGPU partial sums
 * are checked against.
 *
 * Non-finite entries (NaN, ±Inf) are counted (nan, inf) and left out of sum, sumSq, min, max and
 * nearZero; a pair skips entries where either side is non-finite. min/max of no finite entry are
 * +Inf/−Inf. nearZero counts finite |v| ≤ f32(nearZero). signAgree/bothNonzero count entries where
 * both are non-zero (and finite), agreeing in sign.
 */
import type { PairStats, StatsSpec, VectorStats } from '../../engine';

export function emptyVectorStats(): VectorStats {
  return { count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity, nan: 0, inf: 0, nearZero: 0 };
}
export function emptyPairStats(): PairStats {
  return { dot: 0, signAgree: 0, bothNonzero: 0 };
}

/** Fills `v` with vector k's float32 values. */
export function vectorValues(x: Float32Array[], a: number, b: number | null, v: Float32Array): void {
  const n = v.length;
  const xa = x[a];
  if (b === null) v.set(xa.subarray(0, n));
  else {
    const xb = x[b];
    for (let i = 0; i < n; i++) v[i] = xa[i] - xb[i];
  }
  for (let i = 0; i < n; i++) if (Math.abs(v[i]) < TINY) v[i] = 0;
}

const TINY = 2 ** -126;

/** Adds one vector's statistics into `s`. */
export function accumulateVector(v: Float32Array, nearZero: number, s: VectorStats): void {
  const nz = Math.fround(nearZero);
  let sum = 0, sumSq = 0, min = s.min, max = s.max, nan = 0, inf = 0, near = 0;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x - x !== 0) {
      if (x !== x) nan++;
      else inf++;
      continue;
    }
    sum += x;
    sumSq += x * x;
    if (x < min) min = x;
    if (x > max) max = x;
    if (Math.abs(x) <= nz) near++;
  }
  s.count += n;
  s.sum += sum;
  s.sumSq += sumSq;
  s.min = min;
  s.max = max;
  s.nan += nan;
  s.inf += inf;
  s.nearZero += near;
}

/** Adds one pair's statistics into `s`. */
export function accumulatePair(p: Float32Array, q: Float32Array, s: PairStats): void {
  let dot = 0, agree = 0, both = 0;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const a = p[i];
    const b = q[i];
    if (a - a !== 0 || b - b !== 0) continue;
    dot += a * b;
    if (a !== 0 && b !== 0) {
      both++;
      if (a > 0 === b > 0) agree++;
    }
  }
  s.dot += dot;
  s.signAgree += agree;
  s.bothNonzero += both;
}

export function checkStatsSpec(spec: StatsSpec, inputs: number): void {
  spec.vectors.forEach((v, k) => {
    if (!Number.isInteger(v.a) || v.a < 0 || v.a >= inputs) throw new Error(`stats: vector ${k}.a refers to input ${v.a}, but there are ${inputs} inputs`);
    if (v.b !== null && (!Number.isInteger(v.b) || v.b < 0 || v.b >= inputs)) throw new Error(`stats: vector ${k}.b refers to input ${v.b}, but there are ${inputs} inputs`);
  });
  spec.pairs.forEach(([p, q], k) => {
    for (const i of [p, q]) if (!Number.isInteger(i) || i < 0 || i >= spec.vectors.length) throw new Error(`stats: pair ${k} refers to vector ${i}, but there are ${spec.vectors.length} vectors`);
  });
}
