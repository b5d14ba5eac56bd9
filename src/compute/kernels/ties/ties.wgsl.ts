/**
 * WGSL TIES, following ties.ref.ts's float32 order. Sign and zero tests are done on bits, and subnormal
 * τ, w·τ and mass count as zero (ftz), so a compiler that flushes subnormals or assumes finite floats
 * still elects the same sign and the same agreeing set as the CPU twin.
 */
import type { TiesSpec } from '../../engine';
import type { ComputeDType } from '../../../formats/dtype';
import { BINDINGS, HELPERS, PARAM_OFFSETS, SIGN_HELPERS, f32bits, load, pairMain, param, type KernelPlan } from '../common/common.wgsl';

/**
 * The body of `value(i)` after `let t<j>` (τ_j) are defined: trims (or keeps all when thresholdSlot is
 * null), elects, takes the disjoint mean and adds it to `base`.
 */
export function tiesBody(
  m: number, baseExpr: string, weightSlot: (j: number) => number, thresholdSlot: ((j: number) => number) | null,
  lambdaSlot: number, normalizeSlot: number,
): string {
  const L: string[] = [];
  // s_j goes through an integer xor with a run-time zero (the word after `normalize`): the compiler cannot
  // then fuse w·τ into the mass sum, whose rounding decides the elected sign near a zero mass.
  L.push(`let zero = prm[${normalizeSlot + 1}u];`);
  for (let j = 0; j < m; j++) {
    L.push(`let u${j} = ftz(t${j});`);
    L.push(`let s${j} = ftz(bitcast<f32>(bitcast<u32>(${param(weightSlot(j))} * u${j}) ^ zero));`);
    L.push(thresholdSlot ? `let k${j} = is_nan(u${j}) || abs(u${j}) >= ${param(thresholdSlot(j))};` : `let k${j} = true;`);
  }
  L.push('var mass: f32 = 0.0;');
  for (let j = 0; j < m; j++) L.push(`mass = mass + select(0.0, s${j}, k${j});`);
  L.push('if (is_nan(mass)) { return qnan(); }');
  L.push('let pos = !lt0(ftz(mass));');
  L.push('var sum: f32 = 0.0;', 'var wsum: f32 = 0.0;', 'var cnt: f32 = 0.0;');
  for (let j = 0; j < m; j++) {
    L.push(`let a${j} = k${j} && select(lt0(s${j}), gt0(s${j}), pos);`);
    L.push(`sum = sum + select(0.0, s${j}, a${j});`);
    L.push(`wsum = wsum + select(0.0, ${param(weightSlot(j))}, a${j});`);
    L.push(`cnt = cnt + select(0.0, 1.0, a${j});`);
  }
  L.push(`var den = select(cnt, wsum, prm[${normalizeSlot}u] != 0u);`);
  L.push('if (is_zero(den)) { den = 1.0; }');
  L.push(`return ${baseExpr} + ${param(lambdaSlot)} * (sum / den);`);
  return L.join('\n  ');
}

export function tiesKernel(dtypes: ComputeDType[], spec: TiesSpec): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const m = spec.terms.length;
  // Parameters: w_0..w_{m-1}, thr_0..thr_{m-1}, lambda, normalize, a zero word.
  const taus = spec.terms.map((t, j) =>
    `let t${j} = ${t.b === null ? load(t.a, dtypes[t.a]) : `${load(t.a, dtypes[t.a])} - ${load(t.b, dtypes[t.b])}`};`);
  const code = `${BINDINGS}${HELPERS}${SIGN_HELPERS}
fn value(i: u32) -> f32 {
  ${taus.join('\n  ')}
  ${tiesBody(m, load(spec.base, dtypes[spec.base]), (j) => P + j, (j) => P + m + j, P + 2 * m, P + 2 * m + 1)}
}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  return {
    key: `ties|${dtypes.join(',')}|${spec.base}|${shape}|${spec.outDtype}`,
    code,
    params: [
      ...spec.terms.map((t) => f32bits(t.w)), ...spec.thresholds.map((x) => f32bits(x)),
      f32bits(spec.lambda), spec.normalize ? 1 : 0, 0,
    ],
    shape: 'pair',
  };
}
