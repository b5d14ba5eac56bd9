import type { ComputeDType } from '../formats/dtype';

/**
 * The compute contract every engine honours (WebGPU kernels and their CPU twin).
 * Inputs are packed little-endian chunks of one tensor (F32, F16 or BF16 words). Math is carried out
 * more precisely than float32 (the CPU twin in float64, WebGPU in double-float f32 pairs with fma), so
 * an output equals the exact result rounded ONCE to nearest even into the target dtype, as a float64
 * PyTorch reference does: ≤ 1 ulp everywhere and ≥ 99.9% bit-exact, also for F32 outputs where terms
 * cancel (NaN stays NaN, f16 overflow is ±Inf).
 * All inputs of one call have the same element count. Statistics come back as float64 partial sums,
 * so the caller can add chunks and tensors without losing precision.
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

/** out = (base === null ? 0 : x[base]) + scale · Σ_j w_j · (x[a_j] − x[b_j]). */
export interface CombineSpec {
  base: number | null;
  terms: DeltaTerm[];
  scale: number;
  outDtype: ComputeDType;
}

/**
 * TIES on chunk elements: τ_j = x[a_j] − x[b_j]; entries with |τ_j| < thresholds[j] are trimmed;
 * the elected sign is sign(Σ_j w_j τ_j) over kept entries ("mass"; a zero mass elects +, as mergekit);
 * merged = Σ w_j τ_j over kept entries that agree with it, divided by Σ w_j of those entries when
 * `normalize` (mergekit's default: a weighted disjoint mean) and left as the plain sum otherwise
 * (mergekit's normalize: false); out = x[base] + lambda · merged.
 */
export interface TiesSpec {
  base: number;
  terms: DeltaTerm[];
  thresholds: number[];
  lambda: number;
  normalize: boolean;
  outDtype: ComputeDType;
}

/**
 * DARE: each τ_j entry is kept with probability 1 − p_j, decided by a counter-based hash of
 * (seed, salt_j, element index) so the mask does not depend on chunking or engine; survivors are
 * scaled by 1/(1 − p_j). Then combined like `combine` (or TIES with `ties` set, thresholds ignored).
 */
export interface DareSpec {
  base: number;
  terms: DeltaTerm[];
  /** Drop probability per term, each in [0, 1) (mergekit: 1 − density of that model). */
  p: number[];
  seed: number;
  /** One salt per term (e.g. a hash of tensor name and model index). */
  salts: number[];
  /** Index of the chunk's first element inside its tensor. */
  firstElement: number;
  scale: number;
  ties: boolean;
  normalize: boolean;
  outDtype: ComputeDType;
}

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

export interface Engine {
  readonly kind: 'webgpu' | 'cpu';
  /** Largest chunk (elements) one call accepts; the executor splits tensors to fit. */
  readonly maxChunkElements: number;
  combine(inputs: ChunkInput[], spec: CombineSpec): Promise<Uint8Array>;
  ties(inputs: ChunkInput[], spec: TiesSpec): Promise<Uint8Array>;
  dare(inputs: ChunkInput[], spec: DareSpec): Promise<Uint8Array>;
  stats(inputs: ChunkInput[], spec: StatsSpec): Promise<StatsResult>;
  dispose(): void;
}
