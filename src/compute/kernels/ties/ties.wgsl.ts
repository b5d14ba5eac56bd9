/**
 * WGSL TIES, mirroring ties.ref.ts (trim, elect sign, disjoint merge; mergekit semantics) in
 * double-float: τ_j = x[a_j] − x[b_j] is an exact pair, s_j = w_j·τ_j a pair (~2^-47), mass, merged and
 * Σ w_j double-float sums, the normalised mean a corrected double-float division, and
 * base + λ·merged goes through the cancellation-safe accumulator, is seen on the float64 grid of its
 * largest term (grid_round, as combine) and rounded once.
 * Decisions follow the reference: trim on float32 magnitudes (f32(|τ|) ≥ f32(thr); the high word of an
 * exact pair is f32(τ)), and τ, w·τ and mass below 2^-126 count as zero (tested on bits, so a GPU that
 * flushes subnormals decides the same). Elements with a NaN/Inf input take the plain float32 path
 * (their result is NaN or ±Inf whatever the precision); overflowing finite ones are rescaled (see
 * combine.wgsl.ts's guardedValue).
 */
import type { TiesSpec } from './ties.ref';
import type { ComputeDType } from '../../../formats/dtype';
import {
  BINDINGS, HELPERS, PARAM_OFFSETS, SIGN_HELPERS, dfHelpers, f32bits, f64Pair, f64Triple, pairMain, param, param3,
  type KernelPlan, type TwoProdMode,
} from '../common/common.wgsl';
import { guardedValue, usedInputs } from '../combine/combine.wgsl';

/** Where each term's parameters live, and how DARE changes τ. */
export interface TiesLayout {
  /** Slot of three float32: the coefficient of s_j = coef_j · d_j (w_j, or w_j/density_j for DARE). */
  coef: (j: number) => number;
  /** Slot of two float32: w_j (for Σ w_j). */
  weight: (j: number) => number;
  /** Slot of the float32 trim threshold, or null to keep all (DARE-TIES). */
  threshold: ((j: number) => number) | null;
  /** DARE: slot of f32(1/density_j) (τ'_j's high word for the 2^-126 test) and the keep bit; else null. */
  dare: { rescale: (j: number) => number; kept: (j: number) => string } | null;
  /** Slot of three float32: λ. */
  lambda: number;
  normalize: boolean;
}

/** `exact(x, keep, sg)` and `plain(x, keep)` for TIES over `terms` (see the header). */
export function tiesFns(K: number, used: Map<number, number>, base: number, terms: { a: number; b: number | null }[], L: TiesLayout): string {
  const X = (k: number) => `x[${used.get(k)}]`;
  const E: string[] = [
    // sg < 1: the scaled retry, where every |v| < 2^-126 of the original was already 0 (below 2^-190).
    'let scaled = sg < 1.0;',
    'var mass = vec2<f32>(0.0);',
  ];
  const P: string[] = ['var mass: f32 = 0.0;'];
  terms.forEach((t, j) => {
    const d = t.b === null ? `vec2<f32>(${X(t.a)}, 0.0)` : `two_diff(${X(t.a)}, ${X(t.b)})`;
    const d1 = t.b === null ? X(t.a) : `(${X(t.a)} - ${X(t.b)})`;
    const dropped = L.dare ? `!(${L.dare.kept(j)})` : 'false';
    E.push(`let d${j} = ${d};`);
    // High word of τ_j (DARE: of d/density; a dropped entry is 0).
    const hi = L.dare ? `select(d${j}.x * ${param(L.dare.rescale(j))}, 0.0, ${dropped})` : `d${j}.x`;
    E.push(`let t${j} = ${hi};`);
    E.push(`let z${j} = select(is_tiny(t${j}), is_zero(t${j}), scaled);`);
    E.push(L.threshold ? `let k${j} = select(abs(t${j}), 0.0, z${j}) >= ${param(L.threshold(j))} * sg;` : `let k${j} = true;`);
    E.push(`var s${j} = dd_mul3(${param3(L.coef(j))}, d${j});`);
    E.push(`if (z${j} || ${dropped} || select(is_tiny(s${j}.x), is_zero(s${j}.x), scaled)) { s${j} = vec2<f32>(0.0); }`);
    E.push(`if (k${j}) { mass = dd_add(mass, s${j}); }`);

    const tp = L.dare ? `select(${d1} * ${param(L.dare.rescale(j))}, ${d1} * bitcast<f32>(ZERO), ${dropped})` : d1;
    P.push(`var t${j}: f32 = ${tp};`, `if (is_tiny(t${j})) { t${j} = 0.0; }`);
    P.push(L.threshold ? `let k${j} = is_nan(t${j}) || !is_finite(t${j}) || abs(t${j}) >= ${param(L.threshold(j))};` : `let k${j} = true;`);
    P.push(`var s${j}: f32 = ${param(L.coef(j))} * t${j};`, `if (is_tiny(s${j})) { s${j} = 0.0; }`);
    P.push(`if (k${j}) { mass = mass + s${j}; }`);
  });
  E.push('if (!is_finite(mass.x)) { return vec2<f32>(qnan(), 0.0); }');
  E.push('let pos = !(lt0(mass.x) && !select(is_tiny(mass.x), is_zero(mass.x), scaled));');
  E.push('var merged = vec2<f32>(0.0);', 'var wsum = vec2<f32>(0.0);');
  P.push('if (is_nan(mass)) { return qnan(); }');
  P.push('let pos = !(lt0(mass) && !is_tiny(mass));');
  P.push('var merged: f32 = 0.0;', 'var wsum: f32 = 0.0;');
  terms.forEach((_, j) => {
    const w = `vec2<f32>(${param(L.weight(j))}, ${param(L.weight(j) + 1)})`;
    E.push(`if (k${j} && select(lt0(s${j}.x), gt0(s${j}.x), pos)) { merged = dd_add(merged, s${j}); wsum = dd_add(wsum, ${w}); }`);
    P.push(`if (k${j} && select(lt0(s${j}), gt0(s${j}), pos)) { merged = merged + s${j}; wsum = wsum + ${param(L.weight(j))}; }`);
  });
  if (L.normalize) {
    E.push('if (is_zero(wsum.x)) { wsum = vec2<f32>(1.0, 0.0); }', 'merged = dd_div(merged, wsum);');
    P.push('if (is_zero(wsum)) { wsum = 1.0; }', 'merged = merged / wsum;');
  }
  // Seen on the float64 grid of the largest term (common.wgsl.ts: grid_round), as combine.
  E.push(`let r = acc_fin(acc_cd(vec3<f32>(${X(base)}, 0.0, 0.0), ${param3(L.lambda)}, merged));`);
  E.push(`return grid_round(r, max(max(abs(${X(base)}), abs(${param(L.lambda)} * merged.x)), abs(r.x)));`);
  P.push(`return ${X(base)} + ${param(L.lambda)} * merged;`);
  return /* wgsl */ `
fn exact(x: array<f32, ${K}>, keep: u32, sg: f32) -> vec2<f32> {
  ${E.join('\n  ')}
}
fn plain(x: array<f32, ${K}>, keep: u32) -> f32 {
  ${P.join('\n  ')}
}`;
}

export function tiesKernel(dtypes: ComputeDType[], spec: TiesSpec, mode: TwoProdMode): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const m = spec.terms.length;
  // Parameters per term j at P + 6j: coef (w_j as three float32), w_j (two), f32(thr_j); then λ (three).
  const used = usedInputs(spec.base, spec.terms);
  const K = Math.max(1, used.size);
  const layout: TiesLayout = {
    coef: (j) => P + 6 * j, weight: (j) => P + 6 * j + 3, threshold: (j) => P + 6 * j + 5, dare: null,
    lambda: P + 6 * m, normalize: spec.normalize,
  };
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${dfHelpers(mode)}
${tiesFns(K, used, spec.base, spec.terms, layout)}
${guardedValue(dtypes, used, '')}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  return {
    key: `ties|${mode}|${dtypes.join(',')}|${spec.base}|${shape}|${spec.normalize ? 'mean' : 'sum'}|${spec.outDtype}`,
    code,
    params: [
      ...spec.terms.flatMap((t, j) => [...f64Triple(t.w), ...f64Pair(t.w), f32bits(spec.thresholds[j])]),
      ...f64Triple(spec.lambda),
    ],
    shape: 'pair',
  };
}
