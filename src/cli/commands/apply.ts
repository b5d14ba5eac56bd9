/** `capvector apply`: θ_pre + α·γ from a saved capability vector (transfer to another checkpoint). */
import type { CliIO } from '../main';
import { COMMON_OPTIONS, execute, need, parseArgs, recipeFrom } from '../merge-options';

export async function run(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, [...COMMON_OPTIONS, 'pre', 'vector', 'alpha']);
  const rolePaths = { pre: need(p, 'pre'), vector: need(p, 'vector') };
  const recipe = recipeFrom('apply', p, rolePaths, []);
  return execute({ recipe, rolePaths, modelPaths: [], out: need(p, 'out'), parsed: p }, io);
}
