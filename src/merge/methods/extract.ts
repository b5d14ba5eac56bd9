import { defineMethod } from '../define';
import { modelName } from '../mergekit';

/** The capability vector itself: γ = θ_aux − θ_sft, saved as a file that `apply` reads. */
export default defineMethod({
  name: 'extract',
  label: 'Extract capability vector γ',
  doc: 'Writes γ = θ_aux − θ_sft as a capability-vector safetensors file (non-float and excluded tensors are left out).',
  roles: ['aux', 'sft'],
  base: 'aux',
  params: [],
  inputs: () => ['aux', 'sft'],
  op: () => ({ kind: 'combine', spec: { base: null, terms: [{ a: 0, b: 1, w: 1 }], scale: 1 } }),
  mergekit: (r) => ({
    comments: ['extract: γ = θ_aux − θ_sft as a linear merge with weights 1 and −1, no normalization'],
    merge_method: 'linear',
    models: [
      { model: modelName(r, 'aux'), parameters: { weight: 1 } },
      { model: modelName(r, 'sft'), parameters: { weight: -1 } },
    ],
    parameters: { normalize: false },
  }),
  metadata: { 'capvector.kind': 'capability-vector', 'capvector.formula': 'theta_aux - theta_sft' },
  writesVector: true,
  command: { name: 'extract', usage: 'extract --aux A --sft S --out vector.safetensors [--lora-rank R [--lora-energy q] [--lora-power 2]]' },
});
