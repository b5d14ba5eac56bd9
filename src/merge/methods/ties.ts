import { bool, defineMethod, num, perModel } from '../define';
import { modelName, modelParam, setParams, weightedModels, yamlValue } from '../mergekit';
import { lambdaParam, normalizeParam, ON_TASK_VECTORS, taskTerms, weightParam } from '../task-vectors';
import { tiesExtraPasses, tiesThresholds } from '../ties-thresholds';

/**
 * TIES (Yadav et al.; mergekit `ties`): per tensor, keep each τ_i's top-k% by magnitude (k = density),
 * elect the sign by mass sign(Σ w_i τ_i), sum the agreeing entries (÷ Σ w_i of them when normalize, else the
 * plain sum, both as mergekit), add λ·that.
 */
export default defineMethod({
  name: 'ties',
  label: 'TIES',
  doc: 'Trim each task vector to its largest entries per tensor, elect a sign per entry, and take the disjoint mean.',
  ...ON_TASK_VECTORS,
  params: [
    lambdaParam('Scale of the merged task vector.'),
    normalizeParam(true, 'Divide by the sum of the agreeing weights (disjoint mean); off: the plain sum of agreeing entries, as mergekit.'),
    weightParam(),
    { name: 'density', scope: 'model', kind: 'number', default: 1, min: 0, max: 1, label: 'Density', doc: 'Fraction of entries kept per tensor (top-k by |τ|).' },
  ],
  op: ({ params, modelCount }) => {
    const densities = perModel(params, 'density', modelCount);
    const spec = { base: 0, terms: taskTerms(perModel(params, 'weight', modelCount)), lambda: num(params, 'lambda'), normalize: bool(params, 'normalize') };
    return {
      kind: 'ties',
      spec,
      // The tensor's thresholds, selected before its first chunk and shared by all its chunks.
      chunk: async (at) => ({ thresholds: await at.perTensor((reads) => tiesThresholds(reads, spec.terms, densities)) }),
      extraPasses: tiesExtraPasses,
    };
  },
  mergekit: (r) => ({
    merge_method: 'ties',
    base_model: modelName(r, 'pre'),
    models: weightedModels(r, (i) => ({ density: yamlValue(modelParam(r, i, 'density') ?? 1) })),
    parameters: setParams(r, ['normalize', 'lambda']),
  }),
});
