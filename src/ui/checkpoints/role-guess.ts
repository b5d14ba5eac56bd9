/** Pure role guessing from names (unit-tested in tests/unit/ui-pure). */

export const ROLE_ORDER = ['pre', 'aux', 'sft', 'down'] as const;
export type KnownRole = (typeof ROLE_ORDER)[number];

export const ROLE_SHORT: Record<KnownRole, string> = {
  pre: 'pretrained',
  aux: 'auxiliary',
  sft: 'SFT',
  down: 'downstream',
};

/**
 * Guesses a role from a checkpoint's name or path. Words are matched as tokens where a substring
 * would mislead ('sf' is inside 'transformers'); the more specific roles win over 'pre' because
 * finetunes are often named after their base ('openvla-7b-pretrained-sft').
 */
export function guessRole(name: string): KnownRole | undefined {
  const lower = name.toLowerCase();
  const tokens = new Set(lower.split(/[^a-z0-9]+/).filter(Boolean));
  if (/aux|spatial|forcing|lara/.test(lower) || tokens.has('sf') || tokens.has('ao')) return 'aux';
  if (/down|target|libero|robotwin/.test(lower)) return 'down';
  if (tokens.has('sft') || tokens.has('ft') || /(^|[^a-z])sft/.test(lower) || /finetune/.test(lower)) return 'sft';
  if (/pre|base/.test(lower)) return 'pre';
  return undefined;
}
