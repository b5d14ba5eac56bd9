import { bool, defineMethod, num, perModel, preAndModels } from '../define';

/**
 * TIES (Yadav et al.; mergekit `ties`): per tensor, keep each τ_i's top-k% by magnitude (k = density),
 * elect the sign by mass sign(Σ w_i τ_i), sum the agreeing entries (÷ Σ w_i of them when normalize, else the
 * plain sum, both as mergekit), add λ·that.
 */
export default defineMethod({
  name: 'ties',
  label: 'TIES',
  doc: 'Trim each task vector to its largest entries per tensor, elect a sign per entry, and take the disjoint mean.',
  roles: ['pre', 'models'],
  minModels: 1,
  base: 'pre',
  params: [
    { name: 'lambda', scope: 'global', kind: 'number', default: 1, label: 'λ', doc: 'Scale of the merged task vector.' },
    { name: 'normalize', scope: 'global', kind: 'boolean', default: true, label: 'Normalize', doc: 'Divide by the sum of the agreeing weights (disjoint mean); off: the plain sum of agreeing entries, as mergekit.' },
    { name: 'weight', scope: 'model', kind: 'number', default: 1, label: 'Weight', doc: 'Weight of this model.' },
    { name: 'density', scope: 'model', kind: 'number', default: 1, min: 0, max: 1, label: 'Density', doc: 'Fraction of entries kept per tensor (top-k by |τ|).' },
  ],
  inputs: (_r, n) => preAndModels(n),
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    return {
      kind: 'ties',
      densities: perModel(params, 'density', modelCount),
      spec: { base: 0, terms: w.map((wi, i) => ({ a: i + 1, b: 0, w: wi })), lambda: num(params, 'lambda'), normalize: bool(params, 'normalize') },
    };
  },
});
