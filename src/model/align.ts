import type { Checkpoint, TensorEntry } from '../formats/checkpoint';
import type { DType } from '../formats/dtype';

/** A role a checkpoint plays in the CapVector pipeline. */
export type Role = 'pre' | 'aux' | 'sft' | 'down' | (string & {});

export const ROLE_LABELS: Record<string, string> = {
  pre: 'Pretrained θ_pre',
  aux: 'Auxiliary-finetuned θ_aux',
  sft: 'SFT-finetuned θ_sft',
  down: 'Downstream finetune θ_down',
};

export interface AlignedTensor {
  name: string;
  /** The entry in each role, in the order of `roles`. */
  entries: Record<string, TensorEntry>;
}

export interface AlignmentIssue {
  name: string;
  kind: 'missing' | 'shape' | 'dtype';
  /** Human-readable detail naming the roles involved. */
  detail: string;
  /** Roles lacking the tensor (kind 'missing'). */
  missingIn?: string[];
}

export interface AlignmentReport {
  roles: string[];
  /** Tensors present in every role with one shape (dtypes may differ: reported, still mergeable). */
  matched: AlignedTensor[];
  issues: AlignmentIssue[];
  /** Count of tensors whose shapes match but dtypes differ (also listed in issues). */
  dtypeMismatches: number;
}

const fmtShape = (s: number[]) => `[${s.join(', ')}]`;

/**
 * Aligns checkpoints by tensor name (the first role's order is kept, then names only others have),
 * and reports each tensor that is missing somewhere or whose shape or dtype disagrees.
 */
export function alignCheckpoints(byRole: Record<string, Checkpoint>): AlignmentReport {
  const roles = Object.keys(byRole);
  const maps = roles.map((r) => new Map(byRole[r].tensors.map((t) => [t.name, t] as const)));
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of roles) {
    for (const t of byRole[r].tensors) {
      if (!seen.has(t.name)) {
        seen.add(t.name);
        names.push(t.name);
      }
    }
  }
  const matched: AlignedTensor[] = [];
  const issues: AlignmentIssue[] = [];
  let dtypeMismatches = 0;
  for (const name of names) {
    const present = roles.filter((_, i) => maps[i].has(name));
    if (present.length < roles.length) {
      const missingIn = roles.filter((r) => !present.includes(r));
      issues.push({ name, kind: 'missing', missingIn, detail: `only in ${present.join(', ')}; missing in ${missingIn.join(', ')}` });
      continue;
    }
    const entries: Record<string, TensorEntry> = {};
    roles.forEach((r, i) => (entries[r] = maps[i].get(name)!));
    const shapes = roles.map((r) => fmtShape(entries[r].shape));
    if (new Set(shapes).size > 1) {
      issues.push({ name, kind: 'shape', detail: roles.map((r, i) => `${r} ${shapes[i]}`).join(' vs ') });
      continue;
    }
    const dtypes = roles.map((r) => entries[r].dtype as DType);
    if (new Set(dtypes).size > 1) {
      dtypeMismatches += 1;
      issues.push({ name, kind: 'dtype', detail: roles.map((r, i) => `${r} ${dtypes[i]}`).join(' vs ') });
    }
    matched.push({ name, entries });
  }
  return { roles, matched, issues, dtypeMismatches };
}
