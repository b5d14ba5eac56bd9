/** Every merge method, by name (one file each under ./methods). */
import type { MethodDef } from './define';
import type { MergeMethod } from './types';
import capvector from './methods/capvector';
import extract from './methods/extract';
import apply from './methods/apply';
import taskArithmetic from './methods/task-arithmetic';
import ties from './methods/ties';
import dare from './methods/dare';
import linear from './methods/linear';

export const METHODS: Record<MergeMethod, MethodDef> = {
  capvector,
  extract,
  apply,
  'task-arithmetic': taskArithmetic,
  ties,
  dare,
  linear,
};

export function getMethod(name: string): MethodDef {
  const m = (METHODS as Record<string, MethodDef>)[name];
  if (!m) throw new Error(`unknown merge method '${name}' (known: ${Object.keys(METHODS).join(', ')})`);
  return m;
}
