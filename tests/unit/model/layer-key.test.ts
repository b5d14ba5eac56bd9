import { describe, expect, it } from 'vitest';
import { compareModules, groupOf, parseLayerKey } from '../../../src/model/layer-key';

// One row per naming family, with names as the real checkpoints spell them.
// [family, tensor name, component, tower, block, module, param]
const ROWS: [string, string, string, string, number | null, string, string][] = [
  // OpenVLA / Prismatic (DINOv2 + fused SigLIP via timm, Llama-2 language model)
  ['openvla', 'vision_backbone.featurizer.blocks.3.attn.qkv.weight', 'vision', '', 3, 'qkv', 'weight'],
  ['openvla', 'vision_backbone.featurizer.blocks.3.attn.proj.bias', 'vision', '', 3, 'o', 'bias'],
  ['openvla', 'vision_backbone.featurizer.blocks.21.ls1.scale_factor', 'vision', '', 21, 'layer_scale', 'scale_factor'],
  ['openvla', 'vision_backbone.fused_featurizer.blocks.26.mlp.fc2.weight', 'vision', 'fused', 26, 'fc2', 'weight'],
  ['openvla', 'vision_backbone.featurizer.patch_embed.proj.weight', 'vision', '', null, 'patch_embed', 'weight'],
  ['openvla', 'projector.fc1.weight', 'projector', '', null, 'fc1', 'weight'],
  ['openvla', 'projector.fc3.bias', 'projector', '', null, 'fc3', 'bias'],
  ['openvla', 'language_model.model.layers.12.self_attn.q_proj.weight', 'language', '', 12, 'q', 'weight'],
  ['openvla', 'language_model.model.layers.31.post_attention_layernorm.weight', 'language', '', 31, 'norm_mlp', 'weight'],
  ['openvla', 'language_model.model.embed_tokens.weight', 'embeddings', '', null, 'embed', 'weight'],
  ['openvla', 'language_model.lm_head.weight', 'embeddings', '', null, 'lm_head', 'weight'],
  ['openvla', 'language_model.model.norm.weight', 'language', '', null, 'norm_final', 'weight'],
  ['openvla-oft', 'action_head.model.fc1.weight', 'action', '', null, 'fc1', 'weight'],
  ['openvla-oft', 'proprio_projector.fc2.weight', 'projector', 'proprio', null, 'fc2', 'weight'],
  // LLaMA (HF)
  ['llama', 'model.layers.0.self_attn.k_proj.weight', 'language', '', 0, 'k', 'weight'],
  ['llama', 'model.layers.79.mlp.gate_proj.weight', 'language', '', 79, 'gate', 'weight'],
  ['llama', 'model.layers.5.mlp.down_proj.weight', 'language', '', 5, 'down', 'weight'],
  ['llama', 'model.layers.5.input_layernorm.weight', 'language', '', 5, 'norm_attn', 'weight'],
  ['llama', 'model.embed_tokens.weight', 'embeddings', '', null, 'embed', 'weight'],
  ['llama', 'lm_head.weight', 'embeddings', '', null, 'lm_head', 'weight'],
  // Qwen2 / Qwen2.5-VL (StarVLA)
  ['qwen2', 'model.layers.3.self_attn.v_proj.bias', 'language', '', 3, 'v', 'bias'],
  ['qwen2', 'model.layers.3.mlp.up_proj.weight', 'language', '', 3, 'up', 'weight'],
  ['qwen2-vl', 'visual.blocks.7.attn.qkv.weight', 'vision', '', 7, 'qkv', 'weight'],
  ['qwen2-vl', 'visual.merger.mlp.0.weight', 'projector', '', null, 'fc1', 'weight'],
  ['qwen2-vl', 'visual.merger.ln_q.weight', 'projector', '', null, 'visual.merger.ln_q', 'weight'],
  // Gemma / PaliGemma (HF) and π0 / π0.5 (openpi PyTorch port and JAX names)
  ['paligemma', 'language_model.model.layers.17.self_attn.o_proj.weight', 'language', '', 17, 'o', 'weight'],
  ['paligemma', 'multi_modal_projector.linear.weight', 'projector', '', null, 'linear', 'weight'],
  ['gemma2', 'model.layers.4.pre_feedforward_layernorm.weight', 'language', '', 4, 'norm_mlp', 'weight'],
  ['gemma2', 'model.layers.4.post_feedforward_layernorm.weight', 'language', '', 4, 'norm_post_mlp', 'weight'],
  ['pi0', 'paligemma_with_expert.paligemma.model.language_model.layers.2.mlp.gate_proj.weight', 'language', '', 2, 'gate', 'weight'],
  ['pi0', 'paligemma_with_expert.paligemma.model.vision_tower.vision_model.encoder.layers.26.self_attn.q_proj.weight', 'vision', '', 26, 'q', 'weight'],
  ['pi0', 'paligemma_with_expert.gemma_expert.model.layers.9.self_attn.k_proj.weight', 'action', '', 9, 'k', 'weight'],
  ['pi0', 'paligemma_with_expert.paligemma.lm_head.weight', 'embeddings', '', null, 'lm_head', 'weight'],
  ['pi0', 'action_out_proj.bias', 'action', '', null, 'action_out_proj', 'bias'],
  ['pi0', 'time_mlp_in.weight', 'action', '', null, 'time_mlp_in', 'weight'],
  ['openpi-jax', 'PaliGemma/llm/layers/attn/q_einsum/w', 'language', '', null, 'q', 'w'],
  ['openpi-jax', 'PaliGemma/llm/layers/mlp/linear', 'language', '', null, 'down', ''],
  ['openpi-jax', 'PaliGemma/img/Transformer/encoderblock/MlpBlock_0/Dense_0/kernel', 'vision', '', null, 'fc1', 'kernel'],
  // SigLIP (HF)
  ['siglip', 'vision_model.encoder.layers.5.layer_norm1.weight', 'vision', '', 5, 'norm_attn', 'weight'],
  ['siglip', 'vision_model.encoder.layers.5.mlp.fc1.bias', 'vision', '', 5, 'fc1', 'bias'],
  ['siglip', 'vision_model.embeddings.position_embedding.weight', 'vision', '', null, 'pos_embed', 'weight'],
  ['siglip', 'vision_model.post_layernorm.weight', 'vision', '', null, 'norm_final', 'weight'],
  // DINOv2 (HF)
  ['dinov2', 'encoder.layer.3.attention.attention.query.weight', 'vision', '', 3, 'q', 'weight'],
  ['dinov2', 'encoder.layer.3.attention.output.dense.weight', 'vision', '', 3, 'o', 'weight'],
  ['dinov2', 'encoder.layer.3.layer_scale1.lambda1', 'vision', '', 3, 'layer_scale', 'lambda1'],
  ['dinov2', 'embeddings.cls_token', 'vision', '', null, 'tokens', ''],
  ['dinov2', 'embeddings.patch_embeddings.projection.weight', 'vision', '', null, 'patch_embed', 'weight'],
  // ViT (timm and HF)
  ['vit-timm', 'blocks.11.mlp.fc1.weight', 'vision', '', 11, 'fc1', 'weight'],
  ['vit-timm', 'blocks.0.norm2.bias', 'vision', '', 0, 'norm_mlp', 'bias'],
  ['vit-timm', 'pos_embed', 'vision', '', null, 'pos_embed', ''],
  ['vit-hf', 'vit.encoder.layer.0.intermediate.dense.weight', 'vision', '', 0, 'fc1', 'weight'],
  ['vit-hf', 'vit.encoder.layer.0.output.dense.weight', 'vision', '', 0, 'fc2', 'weight'],
  ['vit-hf', 'vit.encoder.layer.0.layernorm_before.weight', 'vision', '', 0, 'norm_attn', 'weight'],
  // unknown names are kept, in 'other'
  ['unknown', 'foo.bar.weight', 'other', '', null, 'foo.bar', 'weight'],
  ['unknown', 'custom_head.layers.2.thing.bias', 'other', '', 2, 'thing', 'bias'],
  ['unknown', 'step', 'other', '', null, 'step', ''],
];

describe('parseLayerKey', () => {
  it.each(ROWS)('%s: %s', (family, name, component, tower, block, module, param) => {
    // openpi's JAX names hold scanned stacks (all layers on axis 0): marked, block null (../../../src/model/stacked.ts)
    expect(parseLayerKey(name)).toEqual({ component, tower, block, module, param, ...(family === 'openpi-jax' ? { stacked: true } : {}) });
  });

  it('groups by component and tower', () => {
    expect(groupOf(parseLayerKey('vision_backbone.fused_featurizer.blocks.1.attn.qkv.weight'))).toBe('vision:fused');
    expect(groupOf(parseLayerKey('vision_backbone.featurizer.blocks.1.attn.qkv.weight'))).toBe('vision');
  });

  it('orders modules in forward order, unknown ones last', () => {
    expect(['fc2', 'zzz', 'q', 'norm_attn', 'aaa'].sort(compareModules)).toEqual(['norm_attn', 'q', 'fc2', 'aaa', 'zzz']);
  });
});
