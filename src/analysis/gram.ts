import type { PairStats, StatsResult, VectorStats } from '../compute/engine';
import type { StatsPlan } from './plan';
import { pairIndex, vectorIndex } from './plan';

/**
 * Accumulated statistics of one tensor, or of any set of tensors: the engine's float64 partial
 * sums added together. Layers and components are sums of their tensors' accumulators, so every
 * aggregate norm/cosine is computed from summed squares and dots, never by averaging cosines.
 */
export interface Acc {
  vectors: VectorStats[];
  pairs: PairStats[];
}

export function emptyAcc(plan: StatsPlan): Acc {
  return {
    vectors: plan.vectors.map(() => ({ count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity, nan: 0, inf: 0, nearZero: 0 })),
    pairs: plan.pairs.map(() => ({ dot: 0, signAgree: 0, bothNonzero: 0 })),
  };
}

/** Adds `r` (a chunk's result or another accumulator) into `acc`. */
export function addInto(acc: Acc, r: StatsResult | Acc): Acc {
  r.vectors.forEach((v, i) => {
    const a = acc.vectors[i];
    a.count += v.count;
    a.sum += v.sum;
    a.sumSq += v.sumSq;
    if (v.min < a.min) a.min = v.min;
    if (v.max > a.max) a.max = v.max;
    a.nan += v.nan;
    a.inf += v.inf;
    a.nearZero += v.nearZero;
  });
  r.pairs.forEach((p, i) => {
    const a = acc.pairs[i];
    a.dot += p.dot;
    a.signAgree += p.signAgree;
    a.bothNonzero += p.bothNonzero;
  });
  return acc;
}

/**
 * A vector expression: a linear combination of base vectors with coefficients that may depend on α.
 * Δ = θ_down − θ_meta = (θ_down − θ_pre) − α·(θ_aux − θ_sft) = D − α·γ, and θ_meta − θ_pre = α·γ.
 * Their squared norms and dots are bilinear forms in the Gram matrix of the base vectors, e.g.
 *   ‖Δ‖² = ‖D‖² − 2α⟨D, γ⟩ + α²‖γ‖²,   ⟨γ, Δ⟩ = ⟨γ, D⟩ − α‖γ‖²,
 * so a new α needs no pass over the weights. Caveat: when ‖Δ‖ ≪ ‖D‖ the first form cancels and
 * loses about log10(‖D‖²/‖Δ‖²) digits of the float64 sums (still ~1e-8 relative for a 100× ratio).
 */
export type VecExpr = (alpha: number) => [id: string, coef: number][];

export const EXPRS: Record<string, { label: string; needs: string[]; expr: VecExpr }> = {
  pre: { label: 'θ_pre', needs: ['pre'], expr: () => [['pre', 1]] },
  gamma: { label: 'γ', needs: ['gamma'], expr: () => [['gamma', 1]] },
  tauAux: { label: 'τ_aux', needs: ['tauAux'], expr: () => [['tauAux', 1]] },
  tauSft: { label: 'τ_sft', needs: ['tauSft'], expr: () => [['tauSft', 1]] },
  down: { label: 'θ_down − θ_pre', needs: ['down'], expr: () => [['down', 1]] },
  delta: { label: 'Δ', needs: ['down', 'gamma'], expr: (a) => [['down', 1], ['gamma', -a]] },
  meta: { label: 'θ_meta − θ_pre', needs: ['gamma'], expr: (a) => [['gamma', a]] },
};

/** Resolves an expression id: one of EXPRS or a plain base vector id (e.g. gamma:aux2). */
export function exprOf(plan: StatsPlan, id: string): VecExpr | null {
  const e = EXPRS[id];
  if (e) return e.needs.every((n) => vectorIndex(plan, n) >= 0) ? e.expr : null;
  return vectorIndex(plan, id) >= 0 ? () => [[id, 1]] : null;
}

export function exprLabel(plan: StatsPlan, id: string): string {
  return EXPRS[id]?.label ?? plan.vectors.find((v) => v.id === id)?.label ?? id;
}

/** Gram entry ⟨v_i, v_j⟩ of one accumulator (NaN when that pair was not accumulated). */
export function gram(plan: StatsPlan, acc: Acc, i: number, j: number): number {
  if (i === j) return acc.vectors[i].sumSq;
  const p = pairIndex(plan, i, j);
  return p >= 0 ? acc.pairs[p].dot : NaN;
}

/** A part of an aggregate with its own α (layers can override the global α). */
export interface Part {
  acc: Acc;
  alpha: number;
}

/** ⟨e1, e2⟩ summed over parts, each evaluated at its own α. */
export function exprDot(plan: StatsPlan, parts: readonly Part[], e1: VecExpr, e2: VecExpr): number {
  let s = 0;
  for (const { acc, alpha } of parts) {
    for (const [id1, c1] of e1(alpha)) {
      const i = vectorIndex(plan, id1);
      for (const [id2, c2] of e2(alpha)) {
        if (c1 === 0 || c2 === 0) continue;
        s += c1 * c2 * gram(plan, acc, i, vectorIndex(plan, id2));
      }
    }
  }
  return s;
}

export function exprNorm(plan: StatsPlan, parts: readonly Part[], e: VecExpr): number {
  // Rounding in a cancelling sum can leave a tiny negative: a norm is never below zero.
  return Math.sqrt(Math.max(0, exprDot(plan, parts, e, e)));
}

export function exprCos(plan: StatsPlan, parts: readonly Part[], e1: VecExpr, e2: VecExpr): number {
  const d = exprDot(plan, parts, e1, e2);
  const n = Math.sqrt(Math.max(0, exprDot(plan, parts, e1, e1)) * Math.max(0, exprDot(plan, parts, e2, e2)));
  return n > 0 ? d / n : NaN;
}
