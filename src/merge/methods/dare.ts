import { bool, defineMethod, num, perModel, preAndModels } from '../define';

/**
 * DARE (Yu et al.; mergekit `dare_linear` / `dare_ties`): drop each τ_i entry with probability p_i (per
 * model, mergekit's density_i = 1 − p_i; a model without its own p uses the global one), divide survivors
 * by 1 − p_i, then task arithmetic (or TIES sign election when `ties`). Seeded: the keep mask is a hash
 * of (seed, hash(tensor name, model index), element index), so a merge repeats bit for bit.
 */
export default defineMethod({
  name: 'dare',
  label: 'DARE',
  doc: 'Randomly drop task-vector entries (seeded) and rescale the survivors, then add (or TIES-merge) them.',
  roles: ['pre', 'models'],
  minModels: 1,
  base: 'pre',
  params: [
    { name: 'p', scope: 'model', kind: 'number', default: 0.5, min: 0, max: 0.999, label: 'Drop rate p', doc: 'Probability of dropping an entry of this model (mergekit density = 1 − p); set globally or per model.' },
    { name: 'seed', scope: 'global', kind: 'integer', default: 0, min: 0, max: 2 ** 32 - 1, label: 'Seed', doc: 'Seed of the drop mask.' },
    { name: 'lambda', scope: 'global', kind: 'number', default: 1, label: 'λ', doc: 'Scale of the merged task vector.' },
    { name: 'ties', scope: 'global', kind: 'boolean', default: false, label: 'TIES sign election', doc: 'dare_ties instead of dare_linear.' },
    { name: 'normalize', scope: 'global', kind: 'boolean', default: false, label: 'Normalize', doc: 'Divide by the sum of weights.' },
    { name: 'weight', scope: 'model', kind: 'number', default: 1, label: 'Weight', doc: 'Weight of this model.' },
  ],
  inputs: (_r, n) => preAndModels(n),
  op: ({ params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const ties = bool(params, 'ties');
    const normalize = bool(params, 'normalize');
    const sum = w.reduce((a, b) => a + b, 0);
    // With `ties` the engine normalizes over agreeing entries itself; otherwise ÷ Σw is a plain scale.
    const scale = num(params, 'lambda') / (!ties && normalize && sum !== 0 ? sum : 1);
    return {
      kind: 'dare',
      spec: { base: 0, terms: w.map((wi, i) => ({ a: i + 1, b: 0, w: wi })), p: perModel(params, 'p', modelCount), seed: num(params, 'seed') >>> 0, scale, ties, normalize },
    };
  },
});
