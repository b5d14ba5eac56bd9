/**
 * PEFT's on-disk layout of a LoRA adapter (../shared/SCIENCE.md, "How VLA checkpoints are published"),
 * as facts: which tensors of a checkpoint are LoRA targets and of which kind, the adapter's tensor
 * names and shapes, and `adapter_config.json`. Pure: no numbers are computed here.
 *
 * ΔW of a linear or conv module is (B·A)·s with A = lora_A.weight [r, in(, k…)], B = lora_B.weight
 * [out, r(, 1…)]; of an embedding it is (B·A)ᵀ·s with A = lora_embedding_A [r, vocab], B =
 * lora_embedding_B [dim, r]. s = lora_alpha / r, and every module here gets lora_alpha = r (through
 * alpha_pattern where its rank differs from r) so that s = 1, as mergekit-extract-lora does.
 */

export type LoraKind = 'linear' | 'conv' | 'embedding';

/** Module names PyTorch models give their nn.Embedding (the last part of the module path). */
const EMBEDDING_MODULE = /^(embed_tokens|tok_embeddings|word_embeddings|wte|wpe|embed_positions|position_embeddings?|token_type_embeddings|shared|.*_embedding|.*_embeddings)$/;

/**
 * The LoRA kind of a γ tensor, or null when it is no module weight PEFT's LoRA can target (1-D norms
 * and biases, tensors whose name does not end in `.weight`: a bare Parameter such as `pos_embed`, a
 * JAX-layout stacked kernel). 2-D `.weight` tensors are linear layers unless their module is named like
 * an embedding; 3-D and 4-D `.weight` tensors are conv kernels ([out, in, k…], factored as [out, in·k…]).
 */
export function loraKind(name: string, shape: readonly number[]): LoraKind | null {
  if (!name.endsWith('.weight') || shape.length < 2 || shape.length > 5 || shape.some((d) => d === 0)) return null;
  if (shape.length > 2) return 'conv';
  const module = name.slice(0, -'.weight'.length);
  const last = module.slice(module.lastIndexOf('.') + 1);
  return EMBEDDING_MODULE.test(last) ? 'embedding' : 'linear';
}

/** The module path of a weight tensor (`a.b.q_proj.weight` → `a.b.q_proj`). */
export const moduleOf = (name: string) => name.slice(0, -'.weight'.length);

/**
 * The matrix that is factored as B·A: the weight as [out, in·k…] for linear and conv modules, its
 * transpose [dim, vocab] for an embedding [vocab, dim] (PEFT applies (B·A)ᵀ there).
 */
export function factoredShape(kind: LoraKind, shape: readonly number[]): [number, number] {
  const out = shape[0];
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return kind === 'embedding' ? [inner, out] : [out, inner];
}

export interface AdapterTensorNames {
  a: string;
  b: string;
}

/** PEFT's saved names (the adapter name "default" is left out on disk). */
export function adapterTensorNames(kind: LoraKind, module: string): AdapterTensorNames {
  const p = `base_model.model.${module}`;
  return kind === 'embedding' ? { a: `${p}.lora_embedding_A`, b: `${p}.lora_embedding_B` } : { a: `${p}.lora_A.weight`, b: `${p}.lora_B.weight` };
}

/**
 * Shapes of A and B at rank r for a weight of `shape`: linear [r, in] / [out, r]; conv
 * [r, in, k…] / [out, r, 1…] (PEFT's lora_B of a conv is a 1×1 conv); embedding [r, vocab] / [dim, r].
 */
export function adapterShapes(kind: LoraKind, shape: readonly number[], r: number): { a: number[]; b: number[] } {
  if (kind === 'embedding') return { a: [r, shape[0]], b: [shape[1], r] };
  if (kind === 'linear') return { a: [r, shape[1]], b: [shape[0], r] };
  return { a: [r, ...shape.slice(1)], b: [shape[0], r, ...shape.slice(2).map(() => 1)] };
}

export interface AdapterModule {
  module: string;
  rank: number;
}

/**
 * `adapter_config.json` of PEFT's LoraConfig: r and lora_alpha are the largest rank written, and every
 * module of another rank is named in rank_pattern and alpha_pattern (keys: the full module path, which
 * PEFT matches as a suffix of the module's name; PEFT releases before `(.*\.)?` made the prefix optional
 * need a dot before the key and miss a full path) with lora_alpha = its rank, so every scale is 1.
 * target_modules lists the full module paths, so that no other module (one whose γ was left dense or
 * was zero) gets a LoRA layer. Only fields every PEFT release with rank_pattern and use_dora reads.
 */
export function adapterConfig(modules: readonly AdapterModule[], baseModel: string | null = null): Record<string, unknown> {
  const r = modules.reduce((m, x) => Math.max(m, x.rank), 0);
  // PEFT takes the first pattern key k (in order) with re.match("(.*\\.)?(k)$", name): a key also matches
  // every module whose name ends in "." + k. Longer keys go first, and where one module's name ends
  // in another's, every module is listed, so that no module falls to a shorter module's rank.
  const names = modules.map((m) => m.module);
  const nested = names.some((a) => names.some((b) => b !== a && b.endsWith(`.${a}`)));
  const pattern: Record<string, number> = {};
  for (const m of [...modules].sort((a, b) => b.module.length - a.module.length)) if (nested || m.rank !== r) pattern[m.module] = m.rank;
  return {
    peft_type: 'LORA',
    task_type: null,
    base_model_name_or_path: baseModel,
    revision: null,
    inference_mode: true,
    r,
    lora_alpha: r,
    lora_dropout: 0,
    target_modules: names,
    rank_pattern: pattern,
    alpha_pattern: { ...pattern },
    fan_in_fan_out: false,
    bias: 'none',
    modules_to_save: null,
    init_lora_weights: true,
    layers_to_transform: null,
    layers_pattern: null,
    use_rslora: false,
    use_dora: false,
  };
}
