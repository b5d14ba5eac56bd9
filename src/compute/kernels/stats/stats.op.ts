/** stats: sums, extremes and counts of vectors x[a] − x[b] and dot products of pairs of them, as float64 partial sums. */
import { defineOp } from '../../op';
import { elementCount } from '../common/inputs';
import { statsCpu } from './stats.cpu';
import { statsGpu } from './stats.gpu';
import { checkStatsSpec, type StatsSpec } from './stats.ref';

export const statsOp = defineOp({
  check(inputs, spec: StatsSpec) {
    const n = elementCount('stats', inputs);
    checkStatsSpec(spec, inputs.length);
    return n;
  },
  cpu: statsCpu,
  gpu: { run: statsGpu },
});
