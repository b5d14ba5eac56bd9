/**
 * The OpenVLA-7B tensor layout (HF `openvla/openvla-7b`: DINOv2 ViT-L/14-reg4 `featurizer`, SigLIP
 * So400M/14 `fused_featurizer` with its MAP head, the fused 3-layer GELU projector, LLaMA-2-7B with a
 * 32064-token vocabulary): 982 tensors, names as the real checkpoint spells them. `scale` divides
 * every width (any dimension ≥ 128) so the e2e can stream a 7B-*shaped* family in seconds;
 * `scale = 1` is the real model (15 GB of bf16), used by the bench as sparse files.
 *
 * Writers: `writeDenseFamily` (deterministic pseudo-random bf16 values for pre/aux/sft/down, so the
 * statistics mean something and a test can recompute them) and `writeSparseFile` (header, then
 * ftruncate: the data is zeros and takes no disk).
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface TensorSpec {
  name: string;
  shape: number[];
}

const LLAMA_LAYERS = 32;
const DINO_BLOCKS = 24;
const SIGLIP_BLOCKS = 27;

export function openvla7bLayout(scale = 1): TensorSpec[] {
  const s = (d: number) => (d >= 128 ? Math.max(1, Math.round(d / scale)) : d);
  const out: TensorSpec[] = [];
  const t = (name: string, ...shape: number[]) => out.push({ name, shape: shape.map(s) });
  /** A pre-norm ViT block (width w, MLP width mlp); DINOv2's carries LayerScale after attention and MLP. */
  const vitBlock = (p: string, w: number, mlp: number, layerScale: boolean) => {
    t(`${p}.norm1.weight`, w); t(`${p}.norm1.bias`, w);
    t(`${p}.attn.qkv.weight`, 3 * w, w); t(`${p}.attn.qkv.bias`, 3 * w);
    t(`${p}.attn.proj.weight`, w, w); t(`${p}.attn.proj.bias`, w);
    if (layerScale) t(`${p}.ls1.scale_factor`, w);
    t(`${p}.norm2.weight`, w); t(`${p}.norm2.bias`, w);
    t(`${p}.mlp.fc1.weight`, mlp, w); t(`${p}.mlp.fc1.bias`, mlp);
    t(`${p}.mlp.fc2.weight`, w, mlp); t(`${p}.mlp.fc2.bias`, w);
    if (layerScale) t(`${p}.ls2.scale_factor`, w);
  };

  // DINOv2 ViT-L/14 with 4 registers; LayerScale `gamma` is renamed `scale_factor` in the HF export.
  const dino = 'vision_backbone.featurizer';
  const dw = 1024;
  t(`${dino}.cls_token`, 1, 1, dw);
  t(`${dino}.pos_embed`, 1, 257, dw);
  t(`${dino}.reg_token`, 1, 4, dw);
  t(`${dino}.patch_embed.proj.weight`, dw, 3, 14, 14);
  t(`${dino}.patch_embed.proj.bias`, dw);
  for (let b = 0; b < DINO_BLOCKS; b++) vitBlock(`${dino}.blocks.${b}`, dw, 4 * dw, true);
  t(`${dino}.norm.weight`, dw); t(`${dino}.norm.bias`, dw);

  // SigLIP So400M/14 at 224 px: no class token, 27 blocks, attention-pool (MAP) head.
  const sig = 'vision_backbone.fused_featurizer';
  const sw = 1152;
  const sm = 4304;
  t(`${sig}.pos_embed`, 1, 256, sw);
  t(`${sig}.patch_embed.proj.weight`, sw, 3, 14, 14);
  t(`${sig}.patch_embed.proj.bias`, sw);
  for (let b = 0; b < SIGLIP_BLOCKS; b++) vitBlock(`${sig}.blocks.${b}`, sw, sm, false);
  t(`${sig}.norm.weight`, sw); t(`${sig}.norm.bias`, sw);
  const ap = `${sig}.attn_pool`;
  t(`${ap}.latent`, 1, 1, sw);
  t(`${ap}.q.weight`, sw, sw); t(`${ap}.q.bias`, sw);
  t(`${ap}.kv.weight`, 2 * sw, sw); t(`${ap}.kv.bias`, 2 * sw);
  t(`${ap}.proj.weight`, sw, sw); t(`${ap}.proj.bias`, sw);
  t(`${ap}.norm.weight`, sw); t(`${ap}.norm.bias`, sw);
  t(`${ap}.mlp.fc1.weight`, sm, sw); t(`${ap}.mlp.fc1.bias`, sm);
  t(`${ap}.mlp.fc2.weight`, sw, sm); t(`${ap}.mlp.fc2.bias`, sw);

  // Fused projector: (1024 + 1152) → 4·2176 → 4096 → 4096.
  const fv = dw + sw;
  const lw = 4096;
  t('projector.fc1.weight', 4 * fv, fv); t('projector.fc1.bias', 4 * fv);
  t('projector.fc2.weight', lw, 4 * fv); t('projector.fc2.bias', lw);
  t('projector.fc3.weight', lw, lw); t('projector.fc3.bias', lw);

  // LLaMA-2-7B (vocabulary padded to 32064 by OpenVLA).
  const vocab = 32064;
  const ff = 11008;
  t('language_model.model.embed_tokens.weight', vocab, lw);
  for (let b = 0; b < LLAMA_LAYERS; b++) {
    const p = `language_model.model.layers.${b}`;
    t(`${p}.self_attn.q_proj.weight`, lw, lw);
    t(`${p}.self_attn.k_proj.weight`, lw, lw);
    t(`${p}.self_attn.v_proj.weight`, lw, lw);
    t(`${p}.self_attn.o_proj.weight`, lw, lw);
    t(`${p}.mlp.gate_proj.weight`, ff, lw);
    t(`${p}.mlp.up_proj.weight`, ff, lw);
    t(`${p}.mlp.down_proj.weight`, lw, ff);
    t(`${p}.input_layernorm.weight`, lw);
    t(`${p}.post_attention_layernorm.weight`, lw);
  }
  t('language_model.model.norm.weight', lw);
  t('language_model.lm_head.weight', vocab, lw);
  return out;
}

export const numelOfShape = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The safetensors header (u64 length + JSON) of bf16 tensors laid out back to back, and the data size. */
export function bf16Header(specs: TensorSpec[], metadata?: Record<string, string>): { header: Buffer; dataBytes: number } {
  const h: Record<string, unknown> = {};
  if (metadata) h.__metadata__ = metadata;
  let off = 0;
  for (const t of specs) {
    const n = numelOfShape(t.shape) * 2;
    h[t.name] = { dtype: 'BF16', shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = Buffer.from(JSON.stringify(h));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return { header: Buffer.concat([len, json]), dataBytes: off };
}

/** Header, then ftruncate to the full size: a sparse file whose tensors read as zeros. */
export function writeSparseFile(path: string, specs: TensorSpec[]): number {
  const { header, dataBytes } = bf16Header(specs);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    ftruncateSync(fd, header.length + dataBytes);
  } finally {
    closeSync(fd);
  }
  return header.length + dataBytes;
}

export const ROLES = ['pre', 'aux', 'sft', 'down'] as const;
export type Role = (typeof ROLES)[number];

/** f32 → bf16 bits, round to nearest even (the values here are finite). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function toBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Element i of tensor k in every role, as bf16 bits: θ_pre is a weight-like value, θ_sft = θ_pre + a
 * task step, θ_aux = θ_sft + a capability step (larger in late LLM layers, so the heatmap has a shape),
 * θ_down = θ_aux + a downstream step. A fixed hash of (k, i): anyone can recompute any element.
 */
export function familyValues(k: number, n: number, depth: number): Record<Role, Uint16Array> {
  const out = { pre: new Uint16Array(n), aux: new Uint16Array(n), sft: new Uint16Array(n), down: new Uint16Array(n) };
  const capScale = 0.002 * (1 + 3 * depth);
  let s = (0x9e3779b9 ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
  const u = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296 - 0.5;
  };
  for (let i = 0; i < n; i++) {
    const pre = 0.04 * u();
    const sft = pre + 0.004 * u();
    const aux = sft + capScale * u();
    const down = aux + 0.003 * u();
    out.pre[i] = toBf16(pre);
    out.sft[i] = toBf16(sft);
    out.aux[i] = toBf16(aux);
    out.down[i] = toBf16(down);
  }
  return out;
}

/** Relative depth in [0, 1] of a LLaMA layer (0 elsewhere), to shape the synthetic capability vector. */
export function depthOf(name: string): number {
  const m = /^language_model\.model\.layers\.(\d+)\./.exec(name);
  return m ? Number(m[1]) / (LLAMA_LAYERS - 1) : 0;
}

/** Writes `<dir>/openvla-7b-shaped-<role>.safetensors` for every role; returns the paths in ROLES order. */
export function writeDenseFamily(dir: string, specs: TensorSpec[]): string[] {
  const { header } = bf16Header(specs, { format: 'pt', note: 'OpenVLA-7B layout, widths scaled down' });
  const fds = ROLES.map((r) => openSync(join(dir, `openvla-7b-shaped-${r}.safetensors`), 'w'));
  try {
    for (const fd of fds) writeSync(fd, header);
    specs.forEach((t, k) => {
      const v = familyValues(k, numelOfShape(t.shape), depthOf(t.name));
      ROLES.forEach((r, j) => writeSync(fds[j], new Uint8Array(v[r].buffer)));
    });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return ROLES.map((r) => join(dir, `openvla-7b-shaped-${r}.safetensors`));
}
