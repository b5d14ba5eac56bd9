import { create } from 'zustand';
import type { Checkpoint } from '../formats/checkpoint';
import { uniqueName } from '../formats/display-name';
import type { NameMapOverride } from '../model/align';

/**
 * The shared state every panel reads: loaded checkpoints, load errors and role assignments.
 * Panels keep their own state in their own stores; they read this one through selectors.
 * `inputs` keeps the user's files (Blobs are cheap handles, not copies) so a Worker can reopen
 * the same checkpoint on its side: Blobs cross postMessage, parsed readers do not.
 */
export interface InputFile {
  /** Relative path as dropped (folder/file), or the file name. */
  path: string;
  blob: Blob;
}

export interface LoadedCheckpoint {
  id: string;
  checkpoint: Checkpoint;
  inputs: InputFile[];
  /** 'demo' for the built-in demo, 'user' for dropped files, 'experiment' for finetune outputs. */
  origin: 'demo' | 'user' | 'experiment';
}

export interface LoadError {
  id: string;
  file: string;
  message: string;
}

export interface WorkbenchState {
  checkpoints: LoadedCheckpoint[];
  errors: LoadError[];
  /** role id ('pre' | 'aux' | 'sft' | 'down' | …) → checkpoint id */
  roles: Record<string, string | undefined>;
  /** Name mappings set by hand in the alignment report (role → mapping onto θ_pre's names); absent: automatic. */
  nameMaps: Record<string, NameMapOverride>;
  addCheckpoint(ck: Omit<LoadedCheckpoint, 'id'>): string;
  removeCheckpoint(id: string): void;
  addError(file: string, message: string): void;
  dismissError(id: string): void;
  setRole(role: string, checkpointId: string | undefined): void;
  /** Sets a role's name mapping by hand, or (undefined) gives it back to the automatic alignment. */
  setNameMap(role: string, m: NameMapOverride | undefined): void;
}

/** The mappings of roles other than those listed (a role's mapping belongs to the checkpoint it was set for). */
const withoutMaps = (maps: Record<string, NameMapOverride>, roles: string[]) => Object.fromEntries(Object.entries(maps).filter(([r]) => !roles.includes(r)));

let nextId = 1;

export const useWorkbench = create<WorkbenchState>()((set) => ({
  checkpoints: [],
  errors: [],
  roles: {},
  nameMaps: {},
  addCheckpoint(ck) {
    const id = `ck${nextId++}`;
    set((s) => {
      // No two cards share a name: a new checkpoint named like one already loaded takes its parent folders or a suffix.
      const taken = new Set(s.checkpoints.map((c) => c.checkpoint.name));
      const name = uniqueName(ck.checkpoint.name, ck.inputs[0]?.path ?? ck.checkpoint.files[0] ?? '', taken);
      const checkpoint = name === ck.checkpoint.name ? ck.checkpoint : { ...ck.checkpoint, name };
      return { checkpoints: [...s.checkpoints, { ...ck, checkpoint, id }] };
    });
    return id;
  },
  removeCheckpoint(id) {
    set((s) => ({
      checkpoints: s.checkpoints.filter((c) => c.id !== id),
      roles: Object.fromEntries(Object.entries(s.roles).filter(([, v]) => v !== id)),
      nameMaps: withoutMaps(s.nameMaps, Object.entries(s.roles).filter(([, v]) => v === id).map(([r]) => r)),
    }));
  },
  addError(file, message) {
    set((s) => ({ errors: [...s.errors, { id: `err${nextId++}`, file, message }] }));
  },
  dismissError(id) {
    set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));
  },
  setRole(role, checkpointId) {
    // A new θ_pre is a new reference: every mapping was made against the old one's names.
    set((s) => (s.roles[role] === checkpointId ? s : { roles: { ...s.roles, [role]: checkpointId }, nameMaps: role === 'pre' ? {} : withoutMaps(s.nameMaps, [role]) }));
  },
  setNameMap(role, m) {
    set((s) => ({ nameMaps: m ? { ...s.nameMaps, [role]: m } : withoutMaps(s.nameMaps, [role]) }));
  },
}));

/** The checkpoint holding a role, if any. */
export function checkpointForRole(s: WorkbenchState, role: string): LoadedCheckpoint | undefined {
  const id = s.roles[role];
  return id ? s.checkpoints.find((c) => c.id === id) : undefined;
}
