/**
 * What the task-vector methods (task arithmetic, TIES, DARE) share: θ_pre and several models, each
 * model's task vector τ_i = θ_i − θ_pre as one engine term, and the parameters they all take.
 */
import { preAndModels, type ParamDecl } from './define';
import type { RecipeShape } from './recipe-shape';

/** Roles, base and per-tensor inputs ('pre', 'model:0', …) of a method on τ_i = θ_i − θ_pre. */
export const ON_TASK_VECTORS = {
  roles: ['pre', 'models'],
  minModels: 1,
  base: 'pre',
  inputs: (_r: RecipeShape, n: number) => preAndModels(n),
} as const;

/** τ_i = input i+1 − input 0 (θ_pre), weighted w_i. */
export const taskTerms = (w: number[]) => w.map((wi, i) => ({ a: i + 1, b: 0, w: wi }));

export const lambdaParam = (doc: string): ParamDecl => ({ name: 'lambda', scope: 'global', kind: 'number', default: 1, label: 'λ', doc });

export const normalizeParam = (byDefault: boolean, doc = 'Divide by the sum of weights.'): ParamDecl =>
  ({ name: 'normalize', scope: 'global', kind: 'boolean', default: byDefault, label: 'Normalize', doc });

export const weightParam = (doc = 'Weight of this model.'): ParamDecl => ({ name: 'weight', scope: 'model', kind: 'number', default: 1, label: 'Weight', doc });
