/**
 * WGSL lora, generated per call shape (dtypes, terms, factor ranks and layouts, output dtype) and cached
 * under `key`; coefficients and the tensor's width travel as parameters.
 *
 * Mirrors lora.ref.ts in double-float, as combine.wgsl.ts does for the combine: the accumulator starts at
 * the base, each dense term c_j·(x[a_j] − x[b_j]) is added by acc_cd with c_j = scale·w_j a float64
 * triple, and each product B[·,k]·A[k,·] of a factor is an exact pair (TwoProd) added as c_l·(pair) with
 * c_l = scale·v_l; the value is seen on the float64 grid of its largest term (grid_round) and rounded
 * once. An element with a NaN/Inf input or factor takes a plain float32 path (its result is NaN or ±Inf).
 * The element's (row, col) comes from the dispatch's first element (prm[2], tensors below 2^32
 * elements) and the width `cols`. Dense inputs are sliced per dispatch; the factors are uploaded whole
 * after them (GpuDispatch.dispatch's `whole`).
 */
import type { ComputeDType } from '../../../formats/dtype';
import {
  BINDINGS, HELPERS, PARAM_FIRST_LO, PARAM_OFFSETS, SIGN_HELPERS, dfHelpers, f64Triple, load, pairMain, param3, twoProd64,
  type KernelPlan, type TwoProdMode,
} from '../common/common.wgsl';
import { usedInputs } from '../combine/combine.wgsl';
import type { LoraSpec } from './lora.ref';

export function loraKernel(dtypes: ComputeDType[], spec: LoraSpec, mode: TwoProdMode): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  // Parameter slots: [P] rows, [P+1] cols, then 3 per term, then 3 per factor.
  const termSlot = (j: number) => P + 2 + 3 * j;
  const factorSlot = (l: number) => P + 2 + 3 * spec.terms.length + 3 * l;
  const used = usedInputs(spec.base, spec.terms);
  const K = Math.max(1, used.size);
  const X = (k: number) => `x[${used.get(k)}]`;
  const loads = [...used.keys()].map((k) => load(k, dtypes[k]));
  if (loads.length === 0) loads.push('0.0');

  const exact: string[] = [`var acc = vec3<f32>(${spec.base === null ? '0.0' : X(spec.base)}, 0.0, 0.0);`, 'var mg = abs(acc.x);'];
  const plain: string[] = [`var v: f32 = 0.0;`];
  spec.terms.forEach((t, j) => {
    const d = t.b === null ? `vec2<f32>(${X(t.a)}, 0.0)` : `two_diff(${X(t.a)}, ${X(t.b)})`;
    exact.push(`let c${j} = ${param3(termSlot(j))};`, `let d${j} = ${d};`, `mg = max(mg, abs(c${j}.x * d${j}.x));`, `acc = acc_cd(acc, c${j}, d${j});`);
    plain.push(`v = v + c${j}.x * ${t.b === null ? X(t.a) : `(${X(t.a)} - ${X(t.b)})`};`);
  });
  spec.factors.forEach((f, l) => {
    // (B·A) at (row, col): B[row, k]·A[k, col]; transposed: B[col, k]·A[k, row].
    const [bi, ai] = f.transpose ? [`col * ${f.rank}u + k`, `k * rows + row`] : [`row * ${f.rank}u + k`, `k * cols + col`];
    exact.push(`let f${l} = ${param3(factorSlot(l))};`,
      `for (var k = 0u; k < ${f.rank}u; k = k + 1u) {`,
      `  let bv = ${load(f.b, dtypes[f.b], bi)}; let av = ${load(f.a, dtypes[f.a], ai)};`,
      `  fin = fin && is_finite(bv) && is_finite(av);`,
      `  let p = two_prod(bv, av);`,
      `  mg = max(mg, abs(f${l}.x * p.x));`,
      `  acc = acc_cd(acc, f${l}, vec2<f32>(p.x, p.y));`,
      `  pv = pv + f${l}.x * (bv * av);`,
      `}`);
  });
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}${dfHelpers(mode)}
fn value(i: u32) -> vec2<f32> {
  var x = array<f32, ${K}>(${loads.join(', ')});
  var fin = true;
  for (var k = 0u; k < ${K}u; k = k + 1u) { fin = fin && is_finite(x[k]); }
  let rows = prm[${P}u];
  let cols = prm[${P + 1}u];
  let e = prm[${PARAM_FIRST_LO}u] + i;
  let row = e / cols;
  let col = e - row * cols;
  var pv: f32 = 0.0;
  ${exact.join('\n  ')}
  if (!fin) {
    ${plain.join('\n    ')}
    return vec2<f32>(${spec.base === null ? '' : `${X(spec.base)} + `}v + pv, 0.0);
  }
  let r = acc_fin(acc);
  return grid_round(r, max(mg, abs(r.x)));
}
${pairMain(spec.outDtype)}`;
  const terms = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  const factors = spec.factors.map((f) => `${f.a}.${f.b}.${f.rank}${f.transpose ? 't' : ''}`).join(',');
  return {
    key: `lora|${mode}|${dtypes.join(',')}|${spec.base ?? '_'}|${terms}|${factors}|${spec.outDtype}`,
    code,
    params: [
      spec.rows, spec.cols,
      ...spec.terms.flatMap((t) => f64Triple(...twoProd64(spec.scale, t.w))),
      ...spec.factors.flatMap((f) => f64Triple(...twoProd64(spec.scale, f.w))),
    ],
    shape: 'pair',
  };
}
