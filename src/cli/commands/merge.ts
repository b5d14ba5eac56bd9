/** `capvector merge`: θ_pre + α·(θ_aux − θ_sft) and the other merge methods, streamed to safetensors. */
import type { CliIO } from '../main';
import { UsageError } from '../main';
import { COMMON_OPTIONS, execute, many, need, one, parseArgs, recipeFrom } from '../merge-options';
import type { MergeMethod } from '../../merge/types';

const METHODS: MergeMethod[] = ['capvector', 'task-arithmetic', 'ties', 'dare', 'linear'];

export async function run(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, [...COMMON_OPTIONS, 'pre', 'aux', 'sft', 'models', 'method', 'alpha', 'lambda', 'weight', 'density', 'p', 'seed']);
  const method = (one(p, 'method') ?? 'capvector') as MergeMethod;
  if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')} (got '${method}')`);
  const out = need(p, 'out');
  const models = many(p, 'models');
  let rolePaths: Record<string, string | undefined>;
  if (method === 'capvector') {
    rolePaths = { pre: need(p, 'pre'), aux: need(p, 'aux'), sft: need(p, 'sft') };
    if (models.length) throw new UsageError('--models is for task-arithmetic, ties, dare and linear');
  } else {
    if (!models.length) throw new UsageError(`--method ${method} needs --models A,B,…`);
    rolePaths = { pre: method === 'linear' ? undefined : need(p, 'pre') };
  }
  const recipe = recipeFrom(method, p, rolePaths, models);
  return execute({ recipe, rolePaths, modelPaths: models, out, parsed: p }, io);
}
