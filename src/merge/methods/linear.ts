import { bool, defineMethod, perModel } from '../define';

/** Linear (model soup; mergekit `linear`): Σ w_i θ_i, divided by Σ w_i when normalize. */
export default defineMethod({
  name: 'linear',
  label: 'Linear (weighted average)',
  doc: 'Weighted average of the models’ weights.',
  roles: ['models'],
  minModels: 1,
  base: 'pre-or-first-model',
  params: [
    { name: 'normalize', scope: 'global', kind: 'boolean', default: true, label: 'Normalize', doc: 'Divide by the sum of weights.' },
    { name: 'weight', scope: 'model', kind: 'number', default: 1, label: 'Weight', doc: 'Weight of this model.' },
  ],
  inputs: (_r, n) => Array.from({ length: n }, (_, i) => `model:${i}`),
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const sum = w.reduce((a, b) => a + b, 0);
    const scale = bool(params, 'normalize') && sum !== 0 ? 1 / sum : 1;
    return { kind: 'combine', spec: { base: null, terms: w.map((wi, i) => ({ a: i, b: null, w: wi })), scale } };
  },
});
