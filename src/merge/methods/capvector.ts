import { defineMethod, num } from '../define';
import { modelName, negate, weightOf } from '../mergekit';

/**
 * CapVector meta model: θ_pre + α·(θ_aux − θ_sft). In mergekit: task_arithmetic with base_model θ_pre
 * and models θ_aux (weight α) and θ_sft (weight −α): θ_pre + α(θ_aux − θ_pre) − α(θ_sft − θ_pre).
 */
export default defineMethod({
  name: 'capvector',
  label: 'CapVector (θ_pre + α·γ)',
  doc: 'Adds the capability vector γ = θ_aux − θ_sft to the pretrained weights, scaled by α (scalar, per-layer gradient or filter rules).',
  roles: ['pre', 'aux', 'sft'],
  base: 'pre',
  params: [{ name: 'alpha', scope: 'global', kind: 'number', default: 1, label: 'α', doc: 'Scale of the capability vector.' }],
  inputs: () => ['pre', 'aux', 'sft'],
  op: ({ params }) => ({ kind: 'combine', spec: { base: 0, terms: [{ a: 1, b: 2, w: 1 }], scale: num(params, 'alpha') } }),
  mergekit: (r) => {
    const alpha = r.params.alpha ?? 1;
    return {
      merge_method: 'task_arithmetic',
      base_model: modelName(r, 'pre'),
      models: [
        { model: modelName(r, 'aux'), parameters: { weight: weightOf(r, alpha) } },
        { model: modelName(r, 'sft'), parameters: { weight: weightOf(r, negate(alpha)) } },
      ],
      parameters: { normalize: false },
    };
  },
});
