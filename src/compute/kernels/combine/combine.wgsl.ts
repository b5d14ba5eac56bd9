/**
 * WGSL combine, generated per call shape (input dtypes, which inputs each term reads, output dtype) and
 * cached under `key`; weights and scale travel as parameters so a new α does not recompile.
 * Follows combine.ref.ts's float32 order step by step.
 */
import type { CombineSpec } from '../../engine';
import type { ComputeDType } from '../../../formats/dtype';
import { BINDINGS, HELPERS, PARAM_OFFSETS, f32bits, load, pairMain, param, type KernelPlan } from '../common/common.wgsl';

/** WGSL statements that end with `acc` = the weighted sum of `deltas` (expressions), in order. */
export function accumulate(deltas: string[], weightSlot: (j: number) => number): string {
  if (deltas.length === 0) return 'var acc: f32 = 0.0;';
  const lines = [`let d0 = ${deltas[0]};`, `var acc: f32 = ${param(weightSlot(0))} * d0;`];
  for (let j = 1; j < deltas.length; j++) {
    lines.push(`let d${j} = ${deltas[j]};`, `acc = acc + ${param(weightSlot(j))} * d${j};`);
  }
  return lines.join('\n  ');
}

export function combineKernel(dtypes: ComputeDType[], spec: CombineSpec): KernelPlan {
  const P = PARAM_OFFSETS + dtypes.length;
  const m = spec.terms.length;
  const deltas = spec.terms.map((t) => (t.b === null ? load(t.a, dtypes[t.a]) : `(${load(t.a, dtypes[t.a])} - ${load(t.b, dtypes[t.b])})`));
  const scaled = `${param(P + m)} * acc`;
  const ret = spec.base === null ? scaled : `${load(spec.base, dtypes[spec.base])} + ${scaled}`;
  const code = `${BINDINGS}${HELPERS}
fn value(i: u32) -> f32 {
  ${accumulate(deltas, (j) => P + j)}
  return ${ret};
}
${pairMain(spec.outDtype)}`;
  const shape = spec.terms.map((t) => `${t.a}-${t.b ?? '_'}`).join(',');
  return {
    key: `combine|${dtypes.join(',')}|${spec.base ?? '_'}|${shape}|${spec.outDtype}`,
    code,
    params: [...spec.terms.map((t) => f32bits(t.w)), f32bits(spec.scale)],
    shape: 'pair',
  };
}
