import { defineMethod } from '../define';

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
  metadata: { 'capvector.kind': 'capability-vector', 'capvector.formula': 'theta_aux - theta_sft' },
  omitCopies: true,
});
