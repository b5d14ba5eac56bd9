/** The LoRA export fields of the Merge panel (./LoraOptions.tsx) as typed, and the Worker request they make. */

export interface LoraDraft {
  enabled: boolean;
  rank: string;
  energy: string;
}

export const DEFAULT_LORA_DRAFT: LoraDraft = { enabled: false, rank: '16', energy: '' };

/** The worker's request from the fields, or an error message naming the field at fault. */
export function loraRequest(d: LoraDraft): { maxRank: number; energy?: number } | { error: string } | null {
  if (!d.enabled) return null;
  const maxRank = Number(d.rank);
  if (!Number.isInteger(maxRank) || maxRank < 1) return { error: `LoRA rank must be a whole number ≥ 1 (got '${d.rank}')` };
  if (d.energy.trim() === '') return { maxRank };
  const energy = Number(d.energy);
  if (!(energy > 0 && energy <= 1)) return { error: `Energy kept must be a number in (0, 1] (got '${d.energy}')` };
  return { maxRank, energy };
}
