import { bool, defineMethod, num, perModel } from '../define';
import { modelName, setParams, weightedModels } from '../mergekit';
import { lambdaParam, normalizeParam, ON_TASK_VECTORS, taskTerms, weightParam } from '../task-vectors';

/** Task arithmetic (Ilharco et al.; mergekit `task_arithmetic`): θ_pre + λ·Σ w_i(θ_i − θ_pre), optionally / Σ w_i. */
export default defineMethod({
  name: 'task-arithmetic',
  label: 'Task arithmetic',
  doc: 'Adds the weighted task vectors θ_i − θ_pre of several models to θ_pre.',
  ...ON_TASK_VECTORS,
  params: [lambdaParam('Scale of the summed task vectors.'), normalizeParam(false), weightParam('Weight of this model’s task vector.')],
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const sum = w.reduce((a, b) => a + b, 0);
    const scale = num(params, 'lambda') / (bool(params, 'normalize') && sum !== 0 ? sum : 1);
    return { kind: 'combine', spec: { base: 0, terms: taskTerms(w), scale } };
  },
  mergekit: (r) => ({ merge_method: 'task_arithmetic', base_model: modelName(r, 'pre'), models: weightedModels(r), parameters: setParams(r, ['normalize', 'lambda']) }),
});
