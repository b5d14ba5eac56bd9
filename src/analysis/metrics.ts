import type { StatsPlan } from './plan';
import { pairIndex, vectorIndex } from './plan';
import type { Part } from './gram';
import { exprCos, exprNorm, exprOf } from './gram';

/**
 * The metric catalogue. Each metric is computed from parts (accumulators with their α), so one
 * definition serves a tensor, a heatmap cell, a layer and a whole component alike.
 * `kind` picks the colour map: cosines are diverging around 0, the rest sequential.
 */
export type MetricKind = 'norm' | 'ratio' | 'cosine' | 'fraction' | 'count';

export interface MetricDef {
  id: string;
  label: string;
  kind: MetricKind;
  /** Vector ids the plan must hold for the metric to apply. */
  needs: string[];
  /** Whether α changes it (the live preview recomputes only these). */
  usesAlpha: boolean;
  value(plan: StatsPlan, parts: readonly Part[]): number;
}

const norm = (id: string) => (plan: StatsPlan, parts: readonly Part[]) => exprNorm(plan, parts, exprOf(plan, id)!);
const cos = (a: string, b: string) => (plan: StatsPlan, parts: readonly Part[]) => exprCos(plan, parts, exprOf(plan, a)!, exprOf(plan, b)!);

/** Σ count / Σ of all over the parts: a fraction of entries (NaN when there are none). */
function fraction(parts: readonly Part[], count: (acc: Part['acc']) => number, all: (acc: Part['acc']) => number): number {
  let c = 0;
  let n = 0;
  for (const { acc } of parts) {
    c += count(acc);
    n += all(acc);
  }
  return n > 0 ? c / n : NaN;
}

/** Fraction of entries where both vectors are non-zero and agree in sign (the quantity TIES elects on). */
export function signAgreement(plan: StatsPlan, parts: readonly Part[], a: string, b: string): number {
  const p = pairIndex(plan, vectorIndex(plan, a), vectorIndex(plan, b));
  if (p < 0) return NaN;
  return fraction(parts, (acc) => acc.pairs[p].signAgree, (acc) => acc.pairs[p].bothNonzero);
}

function nearZeroFraction(plan: StatsPlan, parts: readonly Part[], id: string): number {
  const i = vectorIndex(plan, id);
  return fraction(parts, (acc) => acc.vectors[i].nearZero, (acc) => acc.vectors[i].count);
}

/** Largest NaN+Inf count of any measured vector (a NaN in any input shows in some vector). */
export function nonFinite(_plan: StatsPlan, parts: readonly Part[]): number {
  if (parts.length === 0) return 0;
  const per = parts[0].acc.vectors.map(() => 0);
  for (const { acc } of parts) acc.vectors.forEach((v, i) => (per[i] += v.nan + v.inf));
  return Math.max(0, ...per);
}

export const METRICS: MetricDef[] = [
  { id: 'normGamma', label: '‖γ‖', kind: 'norm', needs: ['gamma'], usesAlpha: false, value: norm('gamma') },
  {
    id: 'relGamma', label: '‖γ‖ / ‖θ_pre‖', kind: 'ratio', needs: ['gamma', 'pre'], usesAlpha: false,
    value: (plan, parts) => norm('gamma')(plan, parts) / norm('pre')(plan, parts),
  },
  { id: 'normTauAux', label: '‖τ_aux‖', kind: 'norm', needs: ['tauAux'], usesAlpha: false, value: norm('tauAux') },
  { id: 'normTauSft', label: '‖τ_sft‖', kind: 'norm', needs: ['tauSft'], usesAlpha: false, value: norm('tauSft') },
  { id: 'normPre', label: '‖θ_pre‖', kind: 'norm', needs: ['pre'], usesAlpha: false, value: norm('pre') },
  { id: 'metaShift', label: '‖θ_meta − θ_pre‖ = |α|·‖γ‖', kind: 'norm', needs: ['gamma'], usesAlpha: true, value: norm('meta') },
  { id: 'normDown', label: '‖θ_down − θ_pre‖', kind: 'norm', needs: ['down'], usesAlpha: false, value: norm('down') },
  { id: 'normDelta', label: '‖Δ‖ (θ_down − θ_meta)', kind: 'norm', needs: ['down', 'gamma'], usesAlpha: true, value: norm('delta') },
  { id: 'cosGammaTauSft', label: 'cos(γ, τ_sft)', kind: 'cosine', needs: ['gamma', 'tauSft'], usesAlpha: false, value: cos('gamma', 'tauSft') },
  { id: 'cosGammaTauAux', label: 'cos(γ, τ_aux)', kind: 'cosine', needs: ['gamma', 'tauAux'], usesAlpha: false, value: cos('gamma', 'tauAux') },
  { id: 'cosTauAuxTauSft', label: 'cos(τ_aux, τ_sft)', kind: 'cosine', needs: ['tauAux', 'tauSft'], usesAlpha: false, value: cos('tauAux', 'tauSft') },
  { id: 'cosGammaDelta', label: 'cos(γ, Δ)', kind: 'cosine', needs: ['down', 'gamma'], usesAlpha: true, value: cos('gamma', 'delta') },
  {
    id: 'signGammaTauSft', label: 'sign agreement γ / τ_sft', kind: 'fraction', needs: ['gamma', 'tauSft'], usesAlpha: false,
    value: (plan, parts) => signAgreement(plan, parts, 'gamma', 'tauSft'),
  },
  {
    id: 'signTauAuxTauSft', label: 'sign agreement τ_aux / τ_sft', kind: 'fraction', needs: ['tauAux', 'tauSft'], usesAlpha: false,
    value: (plan, parts) => signAgreement(plan, parts, 'tauAux', 'tauSft'),
  },
  {
    id: 'nearZeroGamma', label: 'near-zero fraction of γ', kind: 'fraction', needs: ['gamma'], usesAlpha: false,
    value: (plan, parts) => nearZeroFraction(plan, parts, 'gamma'),
  },
  { id: 'nonFinite', label: 'NaN/Inf entries', kind: 'count', needs: [], usesAlpha: false, value: nonFinite },
];

export const METRIC_BY_ID: Record<string, MetricDef> = Object.fromEntries(METRICS.map((m) => [m.id, m]));

export function metricsFor(plan: StatsPlan): MetricDef[] {
  return METRICS.filter((m) => m.needs.every((n) => vectorIndex(plan, n) >= 0));
}

/** Every applicable metric of some parts, as a plain record (for tables, CLI and exports). */
export function metricRecord(plan: StatsPlan, parts: readonly Part[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metricsFor(plan)) out[m.id] = m.value(plan, parts);
  return out;
}

/**
 * Pairwise cosine matrix among expressions (base vectors plus derived ones such as Δ), from the
 * summed Gram entries. Entries involving a pair that was not accumulated come out NaN.
 */
export function cosineMatrix(plan: StatsPlan, parts: readonly Part[], ids: string[]): number[][] {
  const ex = ids.map((id) => exprOf(plan, id));
  return ex.map((a) => ex.map((b) => (a && b ? exprCos(plan, parts, a, b) : NaN)));
}
