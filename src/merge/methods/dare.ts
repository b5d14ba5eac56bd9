import { bool, defineMethod, num, perModel } from '../define';
import { modelName, modelParam, setParams, weightedModels, yamlValue } from '../mergekit';
import { lambdaParam, normalizeParam, ON_TASK_VECTORS, taskTerms, weightParam } from '../task-vectors';

/** FNV-1a of a string: the DARE salt of (tensor name, model index), stable across runs and engines. */
export function dareSalt(tensor: string, model: number): number {
  let h = 0x811c9dc5;
  const s = `${tensor}#${model}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

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
  ...ON_TASK_VECTORS,
  params: [
    { name: 'p', scope: 'model', kind: 'number', default: 0.5, min: 0, max: 0.999, label: 'Drop rate p', doc: 'Probability of dropping an entry of this model (mergekit density = 1 − p); set globally or per model.', cli: 'global' },
    { name: 'seed', scope: 'global', kind: 'integer', default: 0, min: 0, max: 2 ** 32 - 1, label: 'Seed', doc: 'Seed of the drop mask.' },
    lambdaParam('Scale of the merged task vector.'),
    { name: 'ties', scope: 'global', kind: 'boolean', default: false, label: 'TIES sign election', doc: 'dare_ties instead of dare_linear.' },
    normalizeParam(false),
    weightParam(),
  ],
  op: ({ name, params, modelCount }) => {
    const w = perModel(params, 'weight', modelCount);
    const ties = bool(params, 'ties');
    const normalize = bool(params, 'normalize');
    const sum = w.reduce((a, b) => a + b, 0);
    // With `ties` the engine normalizes over agreeing entries itself; otherwise ÷ Σw is a plain scale.
    const scale = num(params, 'lambda') / (!ties && normalize && sum !== 0 ? sum : 1);
    const spec = { base: 0, terms: taskTerms(w), p: perModel(params, 'p', modelCount), seed: num(params, 'seed') >>> 0, scale, ties, normalize };
    const salts = spec.terms.map((_, j) => dareSalt(name, j));
    return { kind: 'dare', spec, chunk: (at) => ({ salts, firstElement: at.first }) };
  },
  mergekit: (r) => ({
    comments: [`NOTE: mergekit draws its own DARE mask (torch RNG); the workbench's seeded mask (seed ${String(r.params.seed ?? 0)}) is not reproduced bit for bit`],
    merge_method: r.params.ties ? 'dare_ties' : 'dare_linear',
    base_model: modelName(r, 'pre'),
    models: weightedModels(r, (i) => ({ density: yamlValue(1 - Number(modelParam(r, i, 'p') ?? 0.5)) })),
    parameters: setParams(r, ['normalize', 'lambda']),
  }),
});
