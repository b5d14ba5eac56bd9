import { bool, defineMethod, num, perModel, preAndModels } from '../define';

/** Task arithmetic (Ilharco et al.; mergekit `task_arithmetic`): θ_pre + λ·Σ w_i(θ_i − θ_pre), optionally / Σ w_i. */
export default defineMethod({
  name: 'task-arithmetic',
  label: 'Task arithmetic',
  doc: 'Adds the weighted task vectors θ_i − θ_pre of several models to θ_pre.',
  roles: ['pre', 'models'],
  minModels: 1,
  base: 'pre',
  params: [
    { name: 'lambda', scope: 'global', kind: 'number', default: 1, label: 'λ', doc: 'Scale of the summed task vectors.' },
    { name: 'normalize', scope: 'global', kind: 'boolean', default: false, label: 'Normalize', doc: 'Divide by the sum of weights.' },
    { name: 'weight', scope: 'model', kind: 'number', default: 1, label: 'Weight', doc: 'Weight of this model’s task vector.' },
  ],
  inputs: (_r, n) => preAndModels(n),
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const sum = w.reduce((a, b) => a + b, 0);
    const scale = num(params, 'lambda') / (bool(params, 'normalize') && sum !== 0 ? sum : 1);
    return { kind: 'combine', spec: { base: 0, terms: w.map((wi, i) => ({ a: i + 1, b: 0, w: wi })), scale } };
  },
});
