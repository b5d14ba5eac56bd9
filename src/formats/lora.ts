/**
 * PEFT LoRA adapters: a folder holding `adapter_config.json` and `adapter_model.safetensors` (or
 * `adapter_model.bin`, read by the allowlisted unpickler). The config claims the weights file, so the
 * pair opens as one checkpoint of format 'lora' whose tensors are the factors as saved
 * (`…lora_A.weight` [r, in], `…lora_B.weight` [out, r], `…lora_embedding_A/B`, full tensors of
 * `modules_to_save`) and whose metadata carries the config (lora-config.ts). What the factors mean
 * for a base model is model/lora.ts's business. A weights file without its config is refused by name.
 */
import { baseName, type ByteSource } from './byte-source';
import type { Checkpoint } from './checkpoint';
import { FormatError } from './errors';
import { loraConfigMetadata, readLoraConfig } from './lora-config';
import { pytorchReader } from './pytorch';
import { defineReader } from './reader';
import { safetensorsReader } from './safetensors';

const CONFIG = 'adapter_config.json';
const WEIGHTS = ['adapter_model.safetensors', 'adapter_model.bin'];

/** Module names (as saved) that carry LoRA factors. */
export function loraModules(names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const m = /^(.*)\.(lora_A|lora_embedding_A)(\.weight)?$/.exec(n);
    if (m) out.add(m[1]);
  }
  return [...out];
}

async function openAdapter(config: ByteSource, weights: ByteSource | undefined): Promise<Checkpoint<'lora'>> {
  const cfg = await readLoraConfig(config);
  if (!weights) throw new FormatError(config.name, `no ${WEIGHTS.join(' or ')} beside it: the adapter's factors are missing`);
  const reader = /\.bin$/i.test(weights.name) ? pytorchReader : safetensorsReader;
  const inner = await reader.open(weights, () => undefined);
  const dora = inner.tensors.find((t) => t.name.includes('lora_magnitude_vector'));
  if (dora) throw new FormatError(weights.name, `DoRA adapters are not supported ('${dora.name}' is a magnitude vector: DoRA rescales each column of W + ΔW)`);
  const modules = loraModules(inner.tensors.map((t) => t.name));
  return {
    name: baseName(weights.name),
    format: 'lora',
    files: [weights.name, config.name],
    sharded: false,
    tensors: inner.tensors,
    metadata: { ...inner.metadata, ...loraConfigMetadata(cfg, modules.length), 'lora.weights': reader.label },
    fileBytes: weights.size + config.size,
  };
}

export const loraReader = defineReader({
  id: 'lora',
  format: 'lora',
  label: 'PEFT LoRA',
  extensions: [CONFIG],
  match: (name) => {
    const b = baseName(name).toLowerCase();
    return b === CONFIG || WEIGHTS.includes(b);
  },
  // The config pulls in its weights; either one present is claimed (a folder holds one of them).
  members: async () => WEIGHTS,
  async open(source, sibling) {
    if (baseName(source.name).toLowerCase() === CONFIG) return openAdapter(source, sibling(WEIGHTS[0]) ?? sibling(WEIGHTS[1]));
    const config = sibling(CONFIG);
    if (!config) throw new FormatError(source.name, `a PEFT adapter's weights without its ${CONFIG} (r and lora_alpha are in it): open the adapter's folder, or both files`);
    return openAdapter(config, source);
  },
});
