import { defineMethod, num } from '../define';

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
});
