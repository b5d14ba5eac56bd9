/**
 * WGSL combine, generated per call shape (input dtypes, which inputs each term reads, output dtype) and
 * cached under `key`; coefficients travel as parameters so a new α does not recompile.
 *
 * Mirrors combine.ref.ts (base + scale·Σ w_j·(x[a_j] − x[b_j]), rounded once) in double-float: each
 * coefficient c_j = scale·w_j is formed exactly on the host (a float64 pair) and split into three
 * float32; d_j = x[a_j] − x[b_j] is an exact pair (TwoDiff); acc_cd adds c_j·d_j into a three-level
 * accumulator that starts at the base, so the final value keeps ~2^-72 of the largest term even when
 * base and terms cancel; that value is seen on the float64 grid of its largest term (grid_round, which
 * makes it the float64 reference's where the two differ only below float64's precision) and rounded
 * once. Elements with a NaN/Inf input take a plain float32 path (the result is NaN or ±Inf, decided
 * by IEEE rules as in float64); finite inputs whose double-float intermediates overflow float32 are
 * recomputed scaled by 2^-64 and scaled back.
 */
import type { CombineSpec } from './combine.ref';
import type { ComputeDType } from '../../../formats/dtype';
import {
  BINDINGS, HELPERS, PARAM_OFFSETS, SIGN_HELPERS, dfHelpers, f64Triple, load, pairMain, param3, twoProd64,
  type KernelPlan, type TwoProdMode,
} from '../common/common.wgsl';

/** Inputs a kernel reads, in order, and the WGSL array slot each one gets. */
export function usedInputs(base: number | null, terms: { a: number; b: number | null }[]): Map<number, number> {
  const used = new Map<number, number>();
  const add = (k: number | null) => { if (k !== null && !used.has(k)) used.set(k, used.size); };
  add(base);
  for (const t of terms) { add(t.a); add(t.b); }
  return used;
}

/**
 * `value(i)`: loads the used inputs into `x`, computes `keep` (DARE) and dispatches to `plain` (some input
 * NaN/Inf), `exact`, or `exact` on inputs scaled by 2^-64 (finite inputs, overflowing intermediates).
 * `exact(x, keep, sg)` and `plain(x, keep)` are defined by the kernel; sg is the scale applied to x.
 */
export function guardedValue(dtypes: ComputeDType[], used: Map<number, number>, keepCode: string): string {
  const K = Math.max(1, used.size);
  const loads = [...used.keys()].map((k) => load(k, dtypes[k]));
  if (loads.length === 0) loads.push('0.0');
  return /* wgsl */ `
fn value(i: u32) -> vec2<f32> {
  var x = array<f32, ${K}>(${loads.join(', ')});
  ${keepCode || 'let keep = 0u;'}
  var fin = true;
  for (var k = 0u; k < ${K}u; k = k + 1u) { fin = fin && is_finite(x[k]); }
  if (!fin) { return vec2<f32>(plain(x, keep), 0.0); }
  let r = exact(x, keep, 1.0);
  if (is_finite(r.x)) { return r; }
  for (var k = 0u; k < ${K}u; k = k + 1u) { x[k] = ldexp(x[k], -64); }
  let q = exact(x, keep, ldexp(1.0, -64));
  return vec2<f32>(ldexp(q.x, 64), ldexp(q.y, 64));
}`;
}

/**
 * `exact` and `plain` for base + Σ_j c_j·(x[a_j] − x[b_j]) with c_j three float32 at slot coef(j);
 * `kept(j)` is a WGSL bool (DARE's mask) or null (every term kept).
 */
export function linearFns(K: number, used: Map<number, number>, base: number | null, terms: { a: number; b: number | null }[],
  coef: (j: number) => number, kept: ((j: number) => string) | null): string {
  const X = (k: number) => `x[${used.get(k)}]`;
  const exact: string[] = [`var acc = vec3<f32>(${base === null ? '0.0' : X(base)}, 0.0, 0.0);`, 'var mg = abs(acc.x);'];
  const plain: string[] = [`var v: f32 = ${base === null ? '0.0' : X(base)};`];
  terms.forEach((t, j) => {
    const c = kept ? `select(vec3<f32>(0.0), ${param3(coef(j))}, ${kept(j)})` : param3(coef(j));
    const d = t.b === null ? `vec2<f32>(${X(t.a)}, 0.0)` : `two_diff(${X(t.a)}, ${X(t.b)})`;
    exact.push(`let c${j} = ${c};`, `let d${j} = ${d};`, `mg = max(mg, abs(c${j}.x * d${j}.x));`, `acc = acc_cd(acc, c${j}, d${j});`);
    const d1 = t.b === null ? X(t.a) : `(${X(t.a)} - ${X(t.b)})`;
    plain.push(`v = v + ${c}.x * ${d1};`);
  });
  return /* wgsl */ `
fn exact(x: array<f32, ${K}>, keep: u32, sg: f32) -> vec2<f32> {
  ${exact.join('\n  ')}
  let r = acc_fin(acc);
  return grid_round(r, max(mg, abs(r.x)));
}
fn plain(x: array<f32, ${K}>, keep: u32) -> f32 {
  ${plain.join('\n  ')}
  return v;
}`;
}

export function combineKernel(dtypes: ComputeDType[], spec: CombineSpec, mode: TwoProdMode): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const used = usedInputs(spec.base, spec.terms);
  const K = Math.max(1, used.size);
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${dfHelpers(mode)}
${linearFns(K, used, spec.base, spec.terms, (j) => P + 3 * j, null)}
${guardedValue(dtypes, used, '')}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  return {
    key: `combine|${mode}|${dtypes.join(',')}|${spec.base ?? '_'}|${shape}|${spec.outDtype}`,
    code,
    // c_j = scale·w_j, formed exactly as a float64 pair, as three float32.
    params: spec.terms.flatMap((t) => f64Triple(...twoProd64(spec.scale, t.w))),
    shape: 'pair',
  };
}
