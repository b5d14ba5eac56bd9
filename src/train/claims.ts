/**
 * The claim test's statistics, fixed before the final run: paired differences by seed, their mean and
 * 95% interval (Student's t, n − 1 degrees of freedom), steps to reach a success level, and the
 * verdict rules for the premise and the paper's claims. Pure: the full-run script and the tests use it.
 */

/** Two-sided 97.5% quantiles of Student's t for 1…30 degrees of freedom (then the normal's 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface Interval {
  n: number;
  mean: number;
  lo: number;
  hi: number;
}

/** Mean and 95% t-interval of a sample (NaN bounds for fewer than two values). */
export function interval(values: number[]): Interval {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((s, x) => s + x, 0) / n : NaN;
  if (n < 2) return { n, mean, lo: NaN, hi: NaN };
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { n, mean, lo: mean - half, hi: mean + half };
}

/** Paired differences a − b over the seeds both have. */
export function paired(a: Map<number, number>, b: Map<number, number>): Interval {
  return interval([...a.keys()].filter((s) => b.has(s)).map((s) => a.get(s)! - b.get(s)!));
}

/** The first step at which a curve's success reaches `level`, or null if it never does. */
export function stepsToReach(curve: { step: number; success?: number }[], level: number): number | null {
  for (const p of curve) if (p.success !== undefined && p.success >= level) return p.step;
  return null;
}

export type Verdict = 'reproduced' | 'partly' | 'not reproduced';
export const above = (i: Interval) => i.lo > 0;
export const below = (i: Interval) => i.hi < 0;

/** The premise: the auxiliary objective gives the capability (more success, lower probe error). */
export function premiseHolds(success: Interval, probe: Interval): boolean {
  return above(success) && below(probe);
}

/**
 * C1: SFT from θ_meta beats SFT from θ_pre (success), and approaches the expensive aux SFT from θ_pre.
 * Reproduced: beats θ_pre (interval above 0) and is not below aux SFT (its interval reaches 0 or above).
 * Partly: one of the two, or a positive mean gain whose interval crosses 0. Otherwise not reproduced.
 */
export function verdictC1(metaVsPre: Interval, metaVsAux: Interval): Verdict {
  const beats = above(metaVsPre);
  const approaches = metaVsAux.hi >= 0;
  if (beats && approaches) return 'reproduced';
  if (beats || (metaVsPre.mean > 0 && approaches)) return 'partly';
  return 'not reproduced';
}

/**
 * C2: L_orth keeps the capability without costing the task. Reproduced: the probe error of orth_meta is
 * below sft_meta's (interval below 0) and success is not lower (interval reaches 0 or above). Partly:
 * one of the two. Otherwise not reproduced.
 */
export function verdictC2(probeOrthVsSft: Interval, successOrthVsSft: Interval): Verdict {
  const keeps = below(probeOrthVsSft);
  const free = successOrthVsSft.hi >= 0;
  if (keeps && free) return 'reproduced';
  if (keeps || (probeOrthVsSft.mean < 0 && free)) return 'partly';
  return 'not reproduced';
}

export const fmtInterval = (i: Interval, scale = 1, digits = 1): string =>
  Number.isFinite(i.lo) ? `${(i.mean * scale).toFixed(digits)} [${(i.lo * scale).toFixed(digits)}, ${(i.hi * scale).toFixed(digits)}]` : `${(i.mean * scale).toFixed(digits)} (n = ${i.n})`;
