import type { StatsSpec } from '../compute/engine';

/**
 * Which vectors the statistics pass measures. Every vector is a difference of two role inputs
 * (or one input alone), exactly what the engine's `stats` computes on a chunk; everything else
 * (Δ = θ_down − θ_meta, θ_meta − θ_pre, any cosine) is derived later from the Gram matrix of these
 * base vectors, so α can change without reading weights again (see ./gram.ts).
 */
export interface VectorDef {
  /** Stable id used in URLs and exports: pre, gamma, tauAux, tauSft, down, gamma:<role>. */
  id: string;
  label: string;
  a: string;
  b: string | null;
}

export interface StatsPlan {
  /** Input roles in engine-input order (index i of a chunk's inputs is roles[i]). */
  roles: string[];
  vectors: VectorDef[];
  /** Indices into `vectors` whose dot product and sign agreement are accumulated. */
  pairs: [number, number][];
  nearZero: number;
}

export const DEFAULT_NEAR_ZERO = 1e-8;

/**
 * The CapVector plan: θ_pre, γ = θ_aux − θ_sft, τ_aux = θ_aux − θ_pre, τ_sft = θ_sft − θ_pre and,
 * with a downstream checkpoint, D = θ_down − θ_pre. `extraAux` roles (capability vectors from other
 * auxiliary objectives) add γ_r = θ_r − θ_sft. All pairs among the non-θ_pre vectors are accumulated.
 */
export function capvectorPlan(opts: { down: boolean; extraAux?: { role: string; label: string }[]; nearZero?: number }): StatsPlan {
  const roles = ['pre', 'aux', 'sft'];
  const vectors: VectorDef[] = [
    { id: 'pre', label: 'θ_pre', a: 'pre', b: null },
    { id: 'gamma', label: 'γ', a: 'aux', b: 'sft' },
    { id: 'tauAux', label: 'τ_aux', a: 'aux', b: 'pre' },
    { id: 'tauSft', label: 'τ_sft', a: 'sft', b: 'pre' },
  ];
  if (opts.down) {
    roles.push('down');
    vectors.push({ id: 'down', label: 'θ_down − θ_pre', a: 'down', b: 'pre' });
  }
  for (const x of opts.extraAux ?? []) {
    roles.push(x.role);
    vectors.push({ id: `gamma:${x.role}`, label: `γ ${x.label}`, a: x.role, b: 'sft' });
  }
  const pairs: [number, number][] = [];
  for (let i = 1; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) pairs.push([i, j]);
  return { roles, vectors, pairs, nearZero: opts.nearZero ?? DEFAULT_NEAR_ZERO };
}

// Lookups run per heatmap cell on every α change: index them once per plan.
interface PlanIndex {
  vectors: Map<string, number>;
  /** n × n, pair index or −1. */
  pairs: Int32Array;
}
const indexCache = new WeakMap<StatsPlan, PlanIndex>();

function planIndex(plan: StatsPlan): PlanIndex {
  let x = indexCache.get(plan);
  if (!x) {
    const n = plan.vectors.length;
    const pairs = new Int32Array(n * n).fill(-1);
    plan.pairs.forEach(([a, b], p) => {
      pairs[a * n + b] = p;
      pairs[b * n + a] = p;
    });
    x = { vectors: new Map(plan.vectors.map((v, i) => [v.id, i])), pairs };
    indexCache.set(plan, x);
  }
  return x;
}

export function vectorIndex(plan: StatsPlan, id: string): number {
  return planIndex(plan).vectors.get(id) ?? -1;
}

export function pairIndex(plan: StatsPlan, i: number, j: number): number {
  const n = plan.vectors.length;
  return i < 0 || j < 0 || i >= n || j >= n ? -1 : planIndex(plan).pairs[i * n + j];
}

/** The engine's spec for this plan. */
export function statsSpec(plan: StatsPlan): StatsSpec {
  const ix = (r: string | null) => (r === null ? null : plan.roles.indexOf(r));
  return {
    vectors: plan.vectors.map((v) => ({ a: ix(v.a)!, b: ix(v.b) })),
    pairs: plan.pairs,
    nearZero: plan.nearZero,
  };
}
