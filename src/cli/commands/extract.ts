/** `capvector extract`: γ = θ_aux − θ_sft saved as a capability-vector safetensors file. */
import type { CliIO } from '../main';
import { COMMON_OPTIONS, execute, need, parseArgs, recipeFrom } from '../merge-options';

export async function run(args: string[], io: CliIO): Promise<number> {
  const p = parseArgs(args, [...COMMON_OPTIONS, 'aux', 'sft']);
  const rolePaths = { aux: need(p, 'aux'), sft: need(p, 'sft') };
  const recipe = recipeFrom('extract', p, rolePaths, []);
  return execute({ recipe, rolePaths, modelPaths: [], out: need(p, 'out'), parsed: p }, io);
}
