import { useWorkbench } from '../../store/workbench';
import { guessRole, ROLE_ORDER } from './role-guess';

/** Gives each unassigned role to the first unassigned checkpoint whose name suggests it. */
export function autoAssignRoles(): void {
  const { checkpoints, roles, setRole } = useWorkbench.getState();
  const taken = new Set(Object.values(roles).filter(Boolean));
  for (const role of ROLE_ORDER) {
    if (roles[role] && checkpoints.some((c) => c.id === roles[role])) continue;
    const ck = checkpoints.find((c) => !taken.has(c.id) && guessRole(roleHint(c)) === role);
    if (ck) {
      setRole(role, ck.id);
      taken.add(ck.id);
    }
  }
}

/** The checkpoint name plus its folder: 'aux/model.safetensors.index.json' says more than 'model'. */
export function roleHint(c: { checkpoint: { name: string; files: string[] } }): string {
  return `${c.checkpoint.files[0] ?? ''} ${c.checkpoint.name}`;
}
