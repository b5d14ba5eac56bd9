/** ties: trim, elect a sign, merge the agreeing deltas (mergekit's TIES), rounded once. */
import { defineOp } from '../../op';
import { checkTerms, elementCount } from '../common/inputs';
import { tiesCpu } from './ties.cpu';
import type { TiesSpec } from './ties.ref';
import { tiesKernel } from './ties.wgsl';

export const tiesOp = defineOp({
  check(inputs, spec: TiesSpec) {
    const n = elementCount('ties', inputs);
    checkTerms('ties', spec.terms, spec.base, inputs.length);
    if (spec.thresholds.length !== spec.terms.length) throw new Error(`ties: ${spec.thresholds.length} thresholds for ${spec.terms.length} terms`);
    return n;
  },
  cpu: tiesCpu,
  gpu: { plan: tiesKernel, outDtype: (spec) => spec.outDtype },
});
