/**
 * Streaming statistics of one tensor, fed chunk by chunk so memory stays bounded whatever the
 * tensor size. Accumulators are float64 (JS numbers); chunks are merged with Chan et al.'s
 * parallel update, so the variance stays accurate where sum/sum-of-squares would cancel.
 *
 * Conventions: min, max, mean, std and L2 are taken over the finite values only; NaN and ±Inf are
 * counted apart. std is the population standard deviation (divide by n, like numpy's default,
 * torch.std(unbiased=False)).
 */

export interface Moments {
  count: number;
  finite: number;
  nan: number;
  posInf: number;
  negInf: number;
  min: number;
  max: number;
  mean: number;
  /** Σ (x − mean)² over finite values. */
  m2: number;
  sumSq: number;
  zeros: number;
}

export interface Histogram {
  lo: number;
  hi: number;
  counts: number[];
}

export interface TensorStats {
  count: number;
  finite: number;
  nan: number;
  posInf: number;
  negInf: number;
  zeros: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  l2: number;
  histogram?: Histogram;
}

export function createMoments(): Moments {
  return { count: 0, finite: 0, nan: 0, posInf: 0, negInf: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, sumSq: 0, zeros: 0 };
}

/** Adds one chunk of values. */
export function addChunk(m: Moments, data: ArrayLike<number>): void {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let lo = Infinity;
  let hi = -Infinity;
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x !== x) {
      m.nan++;
      continue;
    }
    if (x === Infinity) {
      m.posInf++;
      continue;
    }
    if (x === -Infinity) {
      m.negInf++;
      continue;
    }
    n++;
    sum += x;
    sumSq += x * x;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    if (x === 0) zeros++;
  }
  m.count += data.length;
  m.zeros += zeros;
  if (!n) return;
  // Chunk mean and M2 by a second pass over the chunk (cheap: it is in cache), then merge.
  const cMean = sum / n;
  let cM2 = 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (Number.isFinite(x)) cM2 += (x - cMean) * (x - cMean);
  }
  const total = m.finite + n;
  const delta = cMean - m.mean;
  m.mean += (delta * n) / total;
  m.m2 += cM2 + (delta * delta * m.finite * n) / total;
  m.finite = total;
  m.sumSq += sumSq;
  if (lo < m.min) m.min = lo;
  if (hi > m.max) m.max = hi;
}

/** Finished figures; with no finite value, min/max/mean/std are NaN. */
export function finishMoments(m: Moments): TensorStats {
  const none = m.finite === 0;
  return {
    count: m.count,
    finite: m.finite,
    nan: m.nan,
    posInf: m.posInf,
    negInf: m.negInf,
    zeros: m.zeros,
    min: none ? NaN : m.min,
    max: none ? NaN : m.max,
    mean: none ? NaN : m.mean,
    std: none ? NaN : Math.sqrt(m.m2 / m.finite),
    l2: Math.sqrt(m.sumSq),
  };
}

/** An empty histogram of `bins` equal bins over [lo, hi] (one bin when lo = hi). */
export function createHistogram(lo: number, hi: number, bins = 64): Histogram {
  const n = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? Math.max(1, Math.floor(bins)) : 1;
  return { lo, hi, counts: new Array<number>(n).fill(0) };
}

/** Counts the finite values of a chunk; the top edge falls in the last bin. */
export function addToHistogram(h: Histogram, data: ArrayLike<number>): void {
  const bins = h.counts.length;
  const scale = bins / (h.hi - h.lo || 1);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (!Number.isFinite(x)) continue;
    let b = Math.floor((x - h.lo) * scale);
    if (b < 0) b = 0;
    else if (b >= bins) b = bins - 1;
    h.counts[b]++;
  }
}

/** Bin edges [lo, …, hi] (bins + 1 of them). */
export function histogramEdges(h: Histogram): number[] {
  const bins = h.counts.length;
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? h.hi : h.lo + ((h.hi - h.lo) * i) / bins));
}

/** Two passes over a chunked source: moments first, then the histogram over [min, max]. */
export async function computeTensorStats(
  chunks: () => AsyncIterable<ArrayLike<number>> | Iterable<ArrayLike<number>>,
  bins = 64,
): Promise<TensorStats> {
  const m = createMoments();
  for await (const c of chunks()) addChunk(m, c);
  const stats = finishMoments(m);
  if (stats.finite > 0) {
    const h = createHistogram(stats.min, stats.max, bins);
    for await (const c of chunks()) addToHistogram(h, c);
    stats.histogram = h;
  }
  return stats;
}
