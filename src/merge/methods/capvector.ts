import { defineMethod, num } from '../define';

/** CapVector meta model: θ_pre + α·(θ_aux − θ_sft). */
export default defineMethod({
  name: 'capvector',
  label: 'CapVector (θ_pre + α·γ)',
  doc: 'Adds the capability vector γ = θ_aux − θ_sft to the pretrained weights, scaled by α (scalar, per-layer gradient or filter rules).',
  roles: ['pre', 'aux', 'sft'],
  base: 'pre',
  params: [{ name: 'alpha', scope: 'global', kind: 'number', default: 1, label: 'α', doc: 'Scale of the capability vector.' }],
  inputs: () => ['pre', 'aux', 'sft'],
  op: ({ params }) => ({ kind: 'combine', spec: { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: num(params, 'alpha') } }),
});
