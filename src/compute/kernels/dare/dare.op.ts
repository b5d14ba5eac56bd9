/** dare: drop each delta with probability p by a counter-based hash, rescale the survivors, then sum or TIES them. */
import { defineOp } from '../../op';
import { checkDareSpec, checkTerms, elementCount } from '../common/inputs';
import { dareCpu } from './dare.cpu';
import type { DareSpec } from './dare.ref';
import { dareKernel } from './dare.wgsl';

export const dareOp = defineOp({
  check(inputs, spec: DareSpec) {
    const n = elementCount('dare', inputs);
    checkTerms('dare', spec.terms, spec.base, inputs.length);
    checkDareSpec('dare', spec);
    return n;
  },
  cpu: dareCpu,
  gpu: { plan: dareKernel, outDtype: (spec) => spec.outDtype, firstElement: (spec) => spec.firstElement },
});
