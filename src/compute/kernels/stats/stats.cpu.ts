/**
 * The fused statistics the CPU engine runs. The contract is kernels/stats/stats.ref.ts applied to
 * consecutive BLOCK-sized pieces of a chunk (accumulateVector / accumulatePair per block, each block's
 * compensation added at its end); this file gives the same bits, faster:
 *
 * - each input block is decoded once (16-bit kinds two per word through the exact tables), each
 *   vector is formed once (difference, flush of |v| < 2^-126 to +0) and shared by its pairs;
 * - no per-element finiteness test: a block is summed optimistically and its result kept only when
 *   the block's sums stayed finite (a NaN or ±Inf anywhere makes them non-finite; finite inputs cannot
 *   overflow float64 here: |v| < 2^129, so v², Σ over a block stay far below 2^1024). Otherwise the
 *   block is redone by the reference from the same starting state;
 * - the compensation term of every addition is computed by Knuth's branch-free TwoSum instead of the
 *   reference's Neumaier branch. Both give the EXACT rounding error of the addition (an error of a
 *   float64 sum is itself a float64), so the running corrections and results are identical;
 * - sign agreement from the product: after the flush every non-zero |v| ≥ 2^-126, so v_p·v_q
 *   (≥ 2^-252 in magnitude, no underflow) is non-zero exactly when both are, and positive exactly
 *   when they agree; counts and the flush read float64 bits instead of branching (see Y below).
 */
import type { ChunkInput } from '../common/inputs';
import { accumulatePair, accumulateVector, emptyPairStats, emptyVectorStats, type PairStats, type StatsResult, type StatsSpec, type VectorStats } from './stats.ref';
import { BLOCK } from '../../fused/block';
import { decodeBlock, pack, type Packed } from '../../fused/packed';
import { statsKernel, type StatsKernel } from '../../wasm/stats';

/** x − 0 is x exactly (−0 − 0 = −0), so a single-input vector reads zeros as its second input. */
const ZERO = new Float64Array(BLOCK);
const X: Float64Array[] = [];
const V: Float64Array[] = [];
function scratch(list: Float64Array[], k: number): Float64Array {
  while (list.length <= k) list.push(new Float64Array(BLOCK));
  return list[k];
}

/*
 * Data-dependent tests without branches: real checkpoints have many exact zeros in τ (and signs of
 * products that look random), so `if (v === 0)`-style branches mispredict on a large share of the
 * elements. A value is stored into an 8-byte scratch and its high word read back as int32 (sign bit,
 * exponent field) — the store forwards to the load — and the counts are added as 0/1 integers.
 */
const Y = new Float64Array(1);
const Y32 = new Int32Array(Y.buffer);

/**
 * Forms v = ftz(xa − xb) (or ftz(xa)) into `v` and, when every entry is finite, adds accumulateVector's
 * statistics into `s` (returns true); leaves `s` untouched otherwise (v is written either way).
 */
function vectorFast(xa: Float64Array, xb: Float64Array | null, v: Float64Array, m: number, nz: number, s: VectorStats): boolean {
  let sum = 0, sumC = 0, sq = 0, sqC = 0, min = s.min, max = s.max, near = 0;
  const b = xb ?? ZERO;
  const y = Y, y32 = Y32;
  for (let i = 0; i < m; i++) {
    let x = xa[i] - b[i] + 0; // + 0 turns −0 into +0, as the reference's flush does
    y[0] = x;
    // exponent field 1..896: non-zero and below 2^-126 (a float64 here is never subnormal: inputs are
    // float32-range values and their differences). Rare, so this branch predicts well.
    if (((((y32[1] >>> 20) & 0x7ff) - 1) >>> 0) < 896) x = 0;
    v[i] = x;
    // |x| ≤ nz exactly when nz − |x| ≥ 0 (a difference of distinct doubles is never 0), i.e. its sign bit is clear
    y[0] = nz - Math.abs(x);
    near += ~y32[1] >>> 31;
    let t = sum + x;
    let z = t - sum;
    sumC += (sum - (t - z)) + (x - z);
    sum = t;
    const x2 = x * x;
    t = sq + x2;
    z = t - sq;
    sqC += (sq - (t - z)) + (x2 - z);
    sq = t;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (sum - sum !== 0 || sq - sq !== 0) return false;
  s.count += m;
  s.sum += sum + sumC;
  s.sumSq += sq + sqC;
  s.min = min;
  s.max = max;
  s.nearZero += near;
  return true;
}

/** accumulatePair on p, q [0..m) when every product is finite (returns true); `s` untouched otherwise. */
function pairFast(p: Float64Array, q: Float64Array, m: number, s: PairStats): boolean {
  let dot = 0, dotC = 0, agree = 0, both = 0;
  const y = Y, y32 = Y32;
  for (let i = 0; i < m; i++) {
    const ab = p[i] * q[i];
    y[0] = ab;
    const hi = y32[1];
    // |ab| ≥ 2^-252 or 0, so its high word's magnitude bits are non-zero exactly when ab ≠ 0
    const nonzero = -(hi & 0x7fffffff) >>> 31;
    both += nonzero;
    agree += nonzero & (~hi >>> 31);
    const t = dot + ab;
    const z = t - dot;
    dotC += (dot - (t - z)) + (ab - z);
    dot = t;
  }
  if (dot - dot !== 0) return false;
  s.dot += dot + dotC;
  s.signAgree += agree;
  s.bothNonzero += both;
  return true;
}

/** Adds the statistics of n elements of the packed inputs into `vectors` and `pairs` (spec checked by the caller). */
export function fusedStats(xs: Packed[], spec: StatsSpec, n: number, vectors: VectorStats[], pairs: PairStats[]): void {
  const k = statsKernel();
  if (k) return wasmStats(k, xs, spec, n, vectors, pairs);
  const nv = spec.vectors.length;
  const x = xs.map((_, k) => scratch(X, k));
  const v = spec.vectors.map((_, k) => scratch(V, k));
  const nz = spec.nearZero;
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    for (let k = 0; k < xs.length; k++) decodeBlock(xs[k], st, m, x[k]);
    for (let k = 0; k < nv; k++) {
      const { a, b } = spec.vectors[k];
      if (!vectorFast(x[a], b === null ? null : x[b], v[k], m, nz, vectors[k])) accumulateVector(v[k].subarray(0, m), nz, vectors[k]);
    }
    for (let j = 0; j < spec.pairs.length; j++) {
      const [p, q] = spec.pairs[j];
      if (!pairFast(v[p], v[q], m, pairs[j])) accumulatePair(v[p].subarray(0, m), v[q].subarray(0, m), pairs[j]);
    }
  }
}

/** fusedStats with the loops in WebAssembly (src/compute/wasm/stats.wat): blocks decoded into its memory. */
function wasmStats(k: StatsKernel, xs: Packed[], spec: StatsSpec, n: number, vectors: VectorStats[], pairs: PairStats[]): void {
  const L = k.layout(xs.length, spec.vectors.length, BLOCK);
  const nz = spec.nearZero;
  const r = L.res;
  for (let st = 0; st < n; st += BLOCK) {
    const m = Math.min(BLOCK, n - st);
    for (let i = 0; i < xs.length; i++) {
      if (xs[i].dtype === 'BF16') {
        L.stage16.set(xs[i].u16.subarray(st, st + m));
        k.decodeBf16(L.stageAt, L.xAt[i], m);
      } else decodeBlock(xs[i], st, m, L.x[i]);
    }
    for (let j = 0; j < spec.vectors.length; j++) {
      const { a, b } = spec.vectors[j];
      const s = vectors[j];
      if (k.vector(L.xAt[a], b === null ? L.zeroAt : L.xAt[b], L.vAt[j], m, nz, s.min, s.max)) {
        s.count += m;
        s.sum += r[0] + r[1];
        s.sumSq += r[2] + r[3];
        s.min = r[4];
        s.max = r[5];
        s.nearZero += r[6];
      } else accumulateVector(L.v[j].subarray(0, m), nz, s);
    }
    for (let j = 0; j < spec.pairs.length; j++) {
      const [p, q] = spec.pairs[j];
      const s = pairs[j];
      if (k.pair(L.vAt[p], L.vAt[q], m)) {
        s.dot += r[0] + r[1];
        s.bothNonzero += r[2];
        s.signAgree += r[3];
      } else accumulatePair(L.v[p].subarray(0, m), L.v[q].subarray(0, m), s);
    }
  }
}

/** The CPU engine's statistics of a checked call of n elements. */
export function statsCpu(inputs: ChunkInput[], spec: StatsSpec, n: number): StatsResult {
  const vectors = spec.vectors.map(emptyVectorStats);
  const pairs = spec.pairs.map(emptyPairStats);
  fusedStats(inputs.map((x) => pack(x, n)), spec, n, vectors, pairs);
  return { vectors, pairs };
}
