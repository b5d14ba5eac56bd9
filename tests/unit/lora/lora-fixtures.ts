/** The LoRA fixtures of make_lora_golden.py: the cases, their recipes and their opened inputs. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Checkpoint } from '../../../src/formats/checkpoint';
import { defaultRecipe } from '../../../src/merge/recipe';
import type { MergeInputs, Recipe } from '../../../src/merge/types';
import { openPath } from '../../../src/node/paths';

export const LORA = resolve(__dirname, '../../fixtures/lora');

export interface LoraCase {
  name: string;
  method: Recipe['method'];
  roles: Record<string, string>;
  params: Recipe['params'];
  models: { path: string; params: Record<string, number> }[];
  expected: string;
}
export const LORA_CASES: LoraCase[] = JSON.parse(readFileSync(join(LORA, 'cases.json'), 'utf8')).cases;

export function loraRecipe(c: LoraCase): Recipe {
  return {
    ...defaultRecipe(c.method),
    roles: { ...c.roles, ...(c.models.length ? { models: c.models.map((m) => ({ name: m.path, params: m.params })) } : {}) },
    params: { ...defaultRecipe(c.method).params, ...c.params },
  };
}

export async function loraInputs(c: LoraCase): Promise<MergeInputs> {
  const inputs: MergeInputs = {};
  for (const [role, p] of Object.entries(c.roles)) (inputs as Record<string, Checkpoint>)[role] = await openPath(join(LORA, p));
  if (c.models.length) inputs.models = await Promise.all(c.models.map((m) => openPath(join(LORA, m.path))));
  return inputs;
}

