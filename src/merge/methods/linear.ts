import { bool, defineMethod, perModel } from '../define';
import { setParams, weightedModels } from '../mergekit';
import { normalizeParam, weightParam } from '../task-vectors';

/** Linear (model soup; mergekit `linear`): Σ w_i θ_i, divided by Σ w_i when normalize. */
export default defineMethod({
  name: 'linear',
  label: 'Linear (weighted average)',
  doc: 'Weighted average of the models’ weights.',
  roles: ['models'],
  minModels: 1,
  base: 'pre-or-first-model',
  params: [normalizeParam(true), weightParam()],
  inputs: (_r, n) => Array.from({ length: n }, (_, i) => `model:${i}`),
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const sum = w.reduce((a, b) => a + b, 0);
    const scale = bool(params, 'normalize') && sum !== 0 ? 1 / sum : 1;
    return { kind: 'combine', spec: { base: null, terms: w.map((wi, i) => ({ a: i, b: null, w: wi })), scale } };
  },
  mergekit: (r) => ({ merge_method: 'linear', models: weightedModels(r), parameters: setParams(r, ['normalize']) }),
});
