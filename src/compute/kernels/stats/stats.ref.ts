/**
 * Reference of the statistics kernel (float64; stats.wgsl.ts mirrors it with double-float values and
 * returns float64 partial sums). For vector k and element i:
 *
 *   v = ftz(x[a_k] − x[b_k])  (or ftz(x[a_k])), float64 of the exactly decoded inputs,
 *       ftz(v) = 0 when |v| < 2^-126 (a GPU may flush float32 subnormals; counts, signs and min/max
 *       must not depend on that).
 *
 * Non-finite entries (NaN, ±Inf) are counted (nan, inf) and left out of sum, sumSq, min, max and
 * nearZero; a pair skips entries where either side is non-finite. Over the finite entries of one call:
 *   sum = Σ v, sumSq = Σ v², dot = Σ v_p·v_q — float64 with Neumaier compensation (the running
 *         correction is added at the end of the call), so a chunk's partial sum is within a few ulps
 *         of float64 of the exact sum; callers add chunks' partials in float64.
 *   min/max of v (no finite entry: +Inf/−Inf); nearZero counts finite |v| ≤ nearZero (float64);
 *   signAgree/bothNonzero count entries where both are non-zero (and finite), agreeing in sign.
 */
/** Statistics of vectors v_k = x[a_k] − x[b_k] (or x[a_k]) and of pairs of them. */
export interface StatsSpec {
  vectors: { a: number; b: number | null }[];
  pairs: [number, number][];
  /** |v| ≤ nearZero counts as near-zero. */
  nearZero: number;
}

export interface VectorStats {
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  nan: number;
  inf: number;
  nearZero: number;
}

export interface PairStats {
  dot: number;
  /** Entries where both are non-zero and have the same sign. */
  signAgree: number;
  /** Entries where both are non-zero. */
  bothNonzero: number;
}

export interface StatsResult {
  vectors: VectorStats[];
  pairs: PairStats[];
}


export function emptyVectorStats(): VectorStats {
  return { count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity, nan: 0, inf: 0, nearZero: 0 };
}
export function emptyPairStats(): PairStats {
  return { dot: 0, signAgree: 0, bothNonzero: 0 };
}

/** Fills `v` with vector k's float64 values. */
export function vectorValues(x: Float64Array[], a: number, b: number | null, v: Float64Array): void {
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
export function accumulateVector(v: Float64Array, nearZero: number, s: VectorStats): void {
  const nz = nearZero;
  let sum = 0, sumC = 0, sumSq = 0, sqC = 0, min = s.min, max = s.max, nan = 0, inf = 0, near = 0;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x - x !== 0) {
      if (x !== x) nan++;
      else inf++;
      continue;
    }
    let t = sum + x;
    sumC += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
    const x2 = x * x;
    t = sumSq + x2;
    sqC += sumSq >= x2 ? sumSq - t + x2 : x2 - t + sumSq;
    sumSq = t;
    if (x < min) min = x;
    if (x > max) max = x;
    if (Math.abs(x) <= nz) near++;
  }
  s.count += n;
  s.sum += sum + sumC;
  s.sumSq += sumSq + sqC;
  s.min = min;
  s.max = max;
  s.nan += nan;
  s.inf += inf;
  s.nearZero += near;
}

/** Adds one pair's statistics into `s`. */
export function accumulatePair(p: Float64Array, q: Float64Array, s: PairStats): void {
  let dot = 0, dotC = 0, agree = 0, both = 0;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const a = p[i];
    const b = q[i];
    if (a - a !== 0 || b - b !== 0) continue;
    const ab = a * b;
    const t = dot + ab;
    dotC += Math.abs(dot) >= Math.abs(ab) ? dot - t + ab : ab - t + dot;
    dot = t;
    if (a !== 0 && b !== 0) {
      both++;
      if (a > 0 === b > 0) agree++;
    }
  }
  s.dot += dot + dotC;
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
