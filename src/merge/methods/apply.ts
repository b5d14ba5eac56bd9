import { defineMethod, num } from '../define';
import { modelName, weightOf } from '../mergekit';

/** Transfer: θ_pre + α·γ with γ read from a saved capability-vector file (role `vector`). */
export default defineMethod({
  name: 'apply',
  label: 'Apply saved vector (θ_pre + α·γ)',
  doc: 'Adds a saved capability vector to a pretrained checkpoint of the same architecture; tensors the vector lacks are copied from θ_pre.',
  roles: ['pre', 'vector'],
  base: 'pre',
  params: [{ name: 'alpha', scope: 'global', kind: 'number', default: 1, label: 'α', doc: 'Scale of the capability vector.' }],
  inputs: () => ['pre', 'vector'],
  op: ({ params }) => ({ kind: 'combine', spec: { base: 0, terms: [{ a: 1, b: null, w: 1 }], scale: num(params, 'alpha') } }),
  mergekit: (r) => ({
    comments: ['apply: θ_pre + α·γ as a linear merge without normalization (the vector is a model folder)'],
    merge_method: 'linear',
    models: [
      { model: modelName(r, 'pre'), parameters: { weight: 1 } },
      { model: modelName(r, 'vector'), parameters: { weight: weightOf(r, r.params.alpha ?? 1) } },
    ],
    parameters: { normalize: false },
  }),
  command: { name: 'apply', usage: 'apply --pre P --vector V --alpha 0.8 --out FILE' },
});
