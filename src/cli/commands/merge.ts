/**
 * `capvector merge [--method NAME]` and the methods with a sub-command of their own (`extract`,
 * `apply`): options, required roles and checks all come from the methods' declarations
 * (../method-flags.ts), so a new method needs nothing here.
 */
import { METHODS } from '../../merge/registry';
import type { MergeMethod } from '../../merge/types';
import { many, need, one, parseArgs, type Args } from '../args';
import { UsageError, type Command } from '../io';
import { listing, paramFlags, roleFlags, type MethodCommand } from '../method-flags';
import { recipeFrom } from '../recipe-from-args';
import { execute, RUN_OPTIONS, RUN_SWITCHES } from '../run-merge';
import { LORA_OPTIONS, loraArgs, runLoraExport } from './lora-export';

/** Single roles → paths, and the --models list; models first for a multi-model method, as the errors tell. */
function rolePathsOf(cmd: MethodCommand, method: MergeMethod, p: Args) {
  const roles = METHODS[method].roles;
  const modelPaths = many(p, 'models');
  const takesModels = roles.includes('models');
  if (takesModels && !modelPaths.length) throw new UsageError(`--method ${method} needs --models A,B,…`);
  const rolePaths: Record<string, string> = {};
  for (const r of roles) if (r !== 'models') rolePaths[r] = need(p, r);
  if (!takesModels && modelPaths.length) throw new UsageError(`--models is for ${listing(cmd.methods.filter((m) => METHODS[m].roles.includes('models')))}`);
  return { rolePaths, modelPaths };
}

export function methodCommand(cmd: MethodCommand): Command {
  const flags = paramFlags(cmd.methods);
  const chooses = cmd.methods.length > 1;
  // `extract --lora-rank R` writes γ as a PEFT LoRA adapter instead (./lora-export.ts).
  const lora = cmd.name === 'extract';
  const spec = {
    values: [...RUN_OPTIONS, ...(lora ? LORA_OPTIONS : []), ...roleFlags(cmd.methods), ...(chooses ? ['method'] : []), ...flags.filter((f) => f.kind !== 'switch').map((f) => f.name)],
    switches: [...RUN_SWITCHES, ...flags.filter((f) => f.kind === 'switch').flatMap((f) => [f.name, `no-${f.name}`])],
  };
  return async (args, io) => {
    const p = parseArgs(args, spec);
    const method = (chooses ? one(p, 'method') : undefined) ?? cmd.methods[0];
    if (!(cmd.methods as string[]).includes(method)) throw new UsageError(`--method must be one of ${cmd.methods.join(', ')} (got '${method}')`);
    const out = need(p, 'out');
    const { rolePaths, modelPaths } = rolePathsOf(cmd, method as MergeMethod, p);
    const recipe = recipeFrom(method as MergeMethod, p, flags, rolePaths, modelPaths);
    const loraOpts = lora ? loraArgs(p) : null;
    if (loraOpts) return runLoraExport({ recipe, rolePaths, out, parsed: p, lora: loraOpts }, io);
    return execute({ recipe, rolePaths, modelPaths, out, parsed: p }, io);
  };
}
