/**
 * Tensor names into structure: {component, tower, block, module, param}.
 *
 * Table-driven so a new naming family is a new row, not new code. Three tables run in turn over
 * the name: COMPONENT_RULES (first match wins; may name a tower, e.g. OpenVLA's fused SigLIP
 * beside DINOv2), BLOCK_PATTERN (the first container word followed by an index), MODULE_RULES (first
 * match over the part after the block, else the whole name). A name no rule knows lands in the
 * 'other' component with its own module label: nothing is ever dropped.
 */

import { stackedTailAt } from './stacked';

export type Component = 'vision' | 'projector' | 'language' | 'action' | 'embeddings' | 'other';

export const COMPONENTS: Component[] = ['vision', 'projector', 'language', 'action', 'embeddings', 'other'];

export const COMPONENT_LABELS: Record<Component, string> = {
  vision: 'Vision backbone',
  projector: 'Projector',
  language: 'Language model',
  action: 'Action head',
  embeddings: 'Token embeddings & LM head',
  other: 'Other',
};

export interface LayerKey {
  component: Component;
  /** Second tower of one component (OpenVLA's fused SigLIP next to DINOv2); '' when single. */
  tower: string;
  /** Transformer block index, null for tensors outside the blocks (embeddings, final norms, projector). */
  block: number | null;
  /** Module label shared across families: q, k, v, o, qkv, gate, up, down, fc1, fc2, norm_attn … */
  module: string;
  /** Last name segment: weight, bias, scale … */
  param: string;
  /**
   * All layers of a scanned stack in one tensor on axis 0 (JAX/openpi: `llm.layers.attn.q_einsum.w`);
   * block is then null and the per-layer views split the tensor (./stacked.ts). Absent otherwise.
   */
  stacked?: true;
}

interface ComponentRule {
  test: RegExp;
  component: Component;
  tower?: string;
}

// Order matters: specific prefixes (action experts nested inside a PaliGemma wrapper, the fused
// tower) come before the broad ones.
const COMPONENT_RULES: ComponentRule[] = [
  // π0 / π0.5 (openpi PyTorch port): the Gemma action expert and the action/time/state projections.
  { test: /(^|[./])gemma_expert([./]|$)/, component: 'action' },
  { test: /(^|[./])(action_in_proj|action_out_proj|time_mlp_in|time_mlp_out|action_time_mlp_in|action_time_mlp_out|state_proj)([./]|$)/, component: 'action' },
  // OpenVLA-OFT heads.
  { test: /(^|[./])(action_head|action_expert|noisy_action_projector)([./]|$)/, component: 'action' },
  { test: /(^|[./])proprio_projector([./]|$)/, component: 'projector', tower: 'proprio' },
  // Token embeddings and output heads of language models (vocab-sized; kept apart so they do not
  // swamp the language model's colour scale).
  { test: /(^|[./])(embed_tokens|wte|lm_head|embedder)([./]|$)/, component: 'embeddings' },
  // Qwen2-VL's patch merger sits inside `visual.` but is the projector.
  { test: /(^|[./])merger([./]|$)/, component: 'projector' },
  // Vision towers: Prismatic/OpenVLA (featurizer, fused_featurizer), HF PaliGemma/SigLIP
  // (vision_tower, vision_model), Qwen2-VL (visual), openpi JAX (img), bare DINOv2/ViT checkpoints.
  { test: /(^|[./])fused_featurizer([./]|$)/, component: 'vision', tower: 'fused' },
  { test: /(^|[./])(vision_backbone|vision_tower|vision_model|visual|img|vit|dinov2|siglip)([./]|$)/, component: 'vision' },
  // Projectors between vision and language.
  { test: /(^|[./])(projector|multi_modal_projector|mm_projector|merger)([./]|$)/, component: 'projector' },
  // Language models: Prismatic `language_model.`, openpi JAX `llm/`, bare LLaMA/Qwen/Gemma `model.layers`.
  { test: /(^|[./])(language_model|llm|text_model)([./]|$)/, component: 'language' },
  { test: /^(model\.)?(layers|norm)([./]|$)/, component: 'language' },
  { test: /^transformer\.h\./, component: 'language' },
  // Bare vision encoders: timm ViT/DINOv2 (`blocks.N`, `patch_embed`, `cls_token`), HF DINOv2/ViT
  // (`embeddings.`, `encoder.layer.N`).
  { test: /^(blocks|patch_embed|cls_token|pos_embed|reg_token|mask_token|register_tokens|embeddings|encoder|layernorm)([./]|$)/, component: 'vision' },
];

// Containers whose index is a transformer block (not `mlp.0` or `mlp_resnet_blocks.0`).
const BLOCK_PATTERN = /(?:^|[./])(?:layers|layer|blocks|block|h|resblocks|encoderblock_?)[./](\d+)(?=[./])/;

interface ModuleRule {
  test: RegExp;
  module: string;
}

// Matched against the tail after the block index (or the whole name when there is none).
const MODULE_RULES: ModuleRule[] = [
  // attention projections
  { test: /(^|[./])(q_proj|query|q|wq|q_einsum)([./]|$)/, module: 'q' },
  { test: /(^|[./])(k_proj|key|k|wk)([./]|$)/, module: 'k' },
  { test: /(^|[./])(v_proj|value|v|wv)([./]|$)/, module: 'v' },
  { test: /(^|[./])(qkv|qkv_proj|c_attn|Wqkv|in_proj_weight|in_proj_bias|kv_einsum|qkv_einsum)([./]|$)/, module: 'qkv' },
  { test: /(^|[./])(o_proj|out_proj|wo|attn_vec_einsum|c_proj_attn)([./]|$)/, module: 'o' },
  { test: /(^|[./])attention[./]output[./]dense([./]|$)/, module: 'o' },
  // timm `attn.proj` is the attention output projection.
  { test: /(^|[./])(attn|self_attn|attention)[./]proj([./]|$)/, module: 'o' },
  // gated MLPs (LLaMA, Qwen, Gemma)
  { test: /(^|[./])(gate_proj|w1|gating_einsum)([./]|$)/, module: 'gate' },
  { test: /(^|[./])(up_proj|w3)([./]|$)/, module: 'up' },
  { test: /(^|[./])(down_proj|w2)([./]|$)/, module: 'down' },
  // two-layer MLPs (ViT, SigLIP, DINOv2, projectors) and HF ViT's intermediate/output
  { test: /(^|[./])(fc1|Dense_0|c_fc|weights_in|intermediate[./]dense|linear_1|mlp[./]0)([./]|$)/, module: 'fc1' },
  { test: /(^|[./])(fc2|Dense_1|weights_out|linear_2|mlp[./]2)([./]|$)/, module: 'fc2' },
  { test: /(^|[./])fc3([./]|$)/, module: 'fc3' },
  { test: /(^|[./])output[./]dense([./]|$)/, module: 'fc2' },
  // big_vision Gemma: `mlp/linear` is the down projection.
  { test: /(^|[./])mlp[./]linear([./]|$)/, module: 'down' },
  { test: /(^|[./])linear([./]|$)/, module: 'linear' },
  // norms before attention / before the MLP / after the MLP / final
  { test: /(^|[./])(input_layernorm|norm1|layer_norm1|layernorm_before|ln_1|attention_norm|pre_attention_norm|ln1)([./]|$)/, module: 'norm_attn' },
  { test: /(^|[./])(post_attention_layernorm|norm2|layer_norm2|layernorm_after|ln_2|ffn_norm|pre_feedforward_layernorm|pre_ffw_norm|ln2)([./]|$)/, module: 'norm_mlp' },
  { test: /(^|[./])(post_feedforward_layernorm|post_ffw_norm)([./]|$)/, module: 'norm_post_mlp' },
  { test: /(^|[./])(q_norm|k_norm)([./]|$)/, module: 'qk_norm' },
  { test: /(^|[./])(ls1|ls2|layer_scale1|layer_scale2|layerscale)([./]|$)/, module: 'layer_scale' },
  { test: /(^|[./])(norm|post_layernorm|layernorm|ln_f|final_norm|encoder_norm|fc_norm|final_layernorm|layer_norm)([./]|$)/, module: 'norm_final' },
  // embeddings and heads
  { test: /(^|[./])(embed_tokens|wte|embedder|input_embedding)([./]|$)/, module: 'embed' },
  { test: /(^|[./])lm_head([./]|$)/, module: 'lm_head' },
  { test: /(^|[./])(patch_embed|patch_embedding|patch_embeddings|embedding)([./]|$)/, module: 'patch_embed' },
  { test: /(^|[./])(pos_embed|position_embedding|position_embeddings|pos_embedding)([./]|$)/, module: 'pos_embed' },
  { test: /(^|[./])(cls_token|reg_token|register_tokens|mask_token)([./]|$)/, module: 'tokens' },
  { test: /(^|[./])(head|classifier|attn_pool)([./]|$)/, module: 'head' },
];

// Trailing segments that name a parameter of a module rather than a module.
const PARAMS = /^(weight|bias|scale|scale_factor|gamma|beta|lambda1|kernel|w|b|embedding|in_proj_weight|in_proj_bias)$/;

export function parseLayerKey(name: string): LayerKey {
  const segs = name.split(/[./]/);
  const last = segs[segs.length - 1];
  const param = PARAMS.test(last) && segs.length > 1 ? last : '';
  const rule = COMPONENT_RULES.find((r) => r.test.test(name));
  const component: Component = rule?.component ?? 'other';
  const tower = rule?.tower ?? '';
  const bm = BLOCK_PATTERN.exec(name);
  const block = bm ? Number(bm[1]) : null;
  // A scanned stack (no index after its container word): the in-layer part is the tail, as after a block.
  const stackAt = bm ? -1 : stackedTailAt(name);
  const inLayer = bm !== null || stackAt >= 0;
  const tail = bm ? name.slice(bm.index + bm[0].length + 1) : stackAt >= 0 ? name.slice(stackAt) : name;
  const mod = MODULE_RULES.find((r) => r.test.test(tail)) ?? (inLayer ? undefined : MODULE_RULES.find((r) => r.test.test(name)));
  let module = mod?.module;
  if (!module) {
    // Unknown module: keep its own name (without the param) so the cell is still shown and named.
    const body = param ? segs.slice(0, -1) : segs;
    const tailSegs = inLayer ? tail.split(/[./]/).slice(0, param ? -1 : undefined) : body;
    module = tailSegs.filter(Boolean).join('.') || name;
  }
  const key: LayerKey = { component: rule ? component : 'other', tower, block, module, param };
  if (stackAt >= 0) key.stacked = true;
  return key;
}

/** Heatmap group of a key: one heatmap per component (and tower). */
export function groupOf(k: Pick<LayerKey, 'component' | 'tower'>): string {
  return k.tower ? `${k.component}:${k.tower}` : k.component;
}

export function groupLabel(group: string): string {
  const [c, t] = group.split(':');
  const base = COMPONENT_LABELS[c as Component] ?? c;
  return t ? `${base} (${t})` : base;
}

// Column order for heatmaps: the forward order of a block, unknown modules after, alphabetical.
const MODULE_ORDER = [
  'embed', 'patch_embed', 'pos_embed', 'tokens', 'norm_attn', 'q', 'k', 'v', 'qkv', 'qk_norm', 'o',
  'layer_scale', 'norm_mlp', 'gate', 'up', 'down', 'fc1', 'fc2', 'fc3', 'linear', 'norm_post_mlp',
  'norm_final', 'head', 'lm_head',
];

export function compareModules(a: string, b: string): number {
  const ia = MODULE_ORDER.indexOf(a);
  const ib = MODULE_ORDER.indexOf(b);
  if (ia >= 0 && ib >= 0) return ia - ib;
  if (ia >= 0) return -1;
  if (ib >= 0) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
