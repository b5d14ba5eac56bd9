/**
 * Every merge method, in the order the app and the CLI list them. A method is its file under ./methods
 * plus one entry here: the MergeMethod union, the order, the CLI's methods and flags and the recipe YAML
 * are all derived from this list.
 */
import type { MethodDef } from './define';
import capvector from './methods/capvector';
import extract from './methods/extract';
import apply from './methods/apply';
import taskArithmetic from './methods/task-arithmetic';
import ties from './methods/ties';
import dare from './methods/dare';
import linear from './methods/linear';

const ALL = [capvector, extract, apply, taskArithmetic, ties, dare, linear] as const;

export type MergeMethod = (typeof ALL)[number]['name'];

export const METHOD_ORDER: readonly MergeMethod[] = ALL.map((m) => m.name);

export const METHODS = Object.fromEntries(ALL.map((m) => [m.name, m])) as { readonly [M in MergeMethod]: MethodDef<M> };

export function isMergeMethod(name: unknown): name is MergeMethod {
  return typeof name === 'string' && Object.hasOwn(METHODS, name);
}

export function getMethod(name: string): MethodDef<MergeMethod> {
  if (!isMergeMethod(name)) throw new Error(`unknown merge method '${name}' (known: ${METHOD_ORDER.join(', ')})`);
  return METHODS[name];
}
