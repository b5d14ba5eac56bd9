/**
 * The CLI side of the merge methods, derived from the registry: which sub-command runs each method
 * (`capvector merge --method NAME` unless the method declares a command of its own), its role options,
 * and one option per parameter its methods declare. Nothing here names a method.
 */
import type { MethodRole, ParamDecl } from '../merge/define';
import { METHOD_ORDER, METHODS, type MergeMethod } from '../merge/registry';

/** 'value': --name V (a number, gradient or JSON rules); 'switch': --name / --no-name; 'per-model': --name 1,0.5 (one, or one per model). */
export type ParamFlagKind = 'value' | 'switch' | 'per-model';

export interface ParamFlag {
  name: string;
  kind: ParamFlagKind;
}

export interface MethodCommand {
  name: string;
  usage: string;
  /** The first is the default (`merge` without --method). */
  methods: MergeMethod[];
}

const MERGE_USAGE = 'merge --pre P --aux A --sft S [--alpha 0.8] [--method …] [--out FILE|DIR] [--dtype keep|f32|f16|bf16]';

export const METHOD_COMMANDS: MethodCommand[] = [
  { name: 'merge', usage: MERGE_USAGE, methods: METHOD_ORDER.filter((m) => !METHODS[m].command) },
  ...METHOD_ORDER.flatMap((m) => {
    const own = METHODS[m].command;
    return own ? [{ name: own.name, usage: own.usage, methods: [m] }] : [];
  }),
];

export function flagKind(d: ParamDecl): ParamFlagKind {
  if (d.kind === 'boolean') return 'switch';
  return d.scope === 'model' && d.cli !== 'global' ? 'per-model' : 'value';
}

const KIND_ORDER: ParamFlagKind[] = ['value', 'switch', 'per-model'];

/**
 * The parameter options of a command's methods, each once: values, then switches, then per-model
 * lists (the order they are written into the recipe, which is saved with the output).
 */
export function paramFlags(methods: readonly MergeMethod[]): ParamFlag[] {
  const kinds = new Map<string, ParamFlagKind>();
  for (const m of methods) {
    for (const d of METHODS[m].params) {
      const kind = flagKind(d);
      const seen = kinds.get(d.name);
      // One option, one meaning: two methods of a command must not read --name differently.
      if (seen && seen !== kind) throw new Error(`--${d.name} is a ${seen} option for one method and a ${kind} option for another`);
      kinds.set(d.name, kind);
    }
  }
  return [...kinds].map(([name, kind]) => ({ name, kind })).sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}

/** The role options of a command's methods ('models' is the --models list), each once. */
export function roleFlags(methods: readonly MergeMethod[]): MethodRole[] {
  return [...new Set(methods.flatMap((m) => METHODS[m].roles))];
}

/** "a, b and c". */
export function listing(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
