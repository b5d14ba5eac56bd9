import type { ArmId } from '../../train/experiment';

/** Fixed hex colours (SVG attributes do not resolve CSS variables everywhere); close to the role tokens. */
export const ARM_COLORS: Record<ArmId, string> = {
  pretrain: '#5b6576',
  'extract-sft': '#1f5fbf',
  'extract-aux': '#c2410c',
  'down-pre': '#5b6576',
  'down-meta': '#1f5fbf',
  'down-meta-orth': '#7c3aed',
  'down-pre-aux': '#c2410c',
};

export const ARM_GROUPS: { id: string; label: string; arms: ArmId[] }[] = [
  { id: 'downstream', label: 'Downstream (held-out tasks)', arms: ['down-pre', 'down-meta', 'down-meta-orth', 'down-pre-aux'] },
  { id: 'extract', label: 'Extraction', arms: ['extract-sft', 'extract-aux'] },
  { id: 'pretrain', label: 'Pretraining', arms: ['pretrain'] },
];

export const fmtPct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(0)}%`);
export const fmtNum = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
