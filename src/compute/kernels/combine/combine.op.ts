/** combine: (base) + scale · Σ_j w_j · (x[a_j] − x[b_j]), rounded once (capvector, extract, apply, linear, task arithmetic). */
import { defineOp } from '../../op';
import { checkTerms, elementCount } from '../common/inputs';
import { fusedCombine } from './combine.cpu';
import type { CombineSpec } from './combine.ref';
import { combineKernel } from './combine.wgsl';

export const combineOp = defineOp({
  check(inputs, spec: CombineSpec) {
    const n = elementCount('combine', inputs);
    checkTerms('combine', spec.terms, spec.base, inputs.length);
    return n;
  },
  cpu: fusedCombine,
  gpu: { plan: combineKernel, outDtype: (spec) => spec.outDtype },
});
