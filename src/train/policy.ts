/**
 * A tiny VLA-style policy in tfjs: patch-embedding image encoder (a CoordConv stem with per-token
 * MLP blocks, as in a small ViT without self-attention), instruction embedding → one MLP layer, a
 * projector that pools the visual tokens by cross-attention from the instruction, fusion MLP with
 * the agent state, and a continuous action head.
 *
 * Weights are plain named variables in PyTorch layout (Linear [out, in], Conv [out, in, kh, kw]) with
 * OpenVLA-like names, so an exported checkpoint looks like a real VLA to the workbench's layer
 * parser and heatmaps. Initial values come from our own seeded PRNG, never from tf.random*, so every
 * backend starts from the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, INSTRUCTION_TOKENS, PRIVILEGED_DIM, rng, VOCAB } from './env';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Fan-in for He initialisation; 0 = zeros; -1 = embedding table. */
  fanIn: number;
  /** Extra factor on the initial scale (a small action head keeps the first steps stable). */
  gain?: number;
}

/**
 * Patch side: 4×4 patches of the 24×24 image, a 6×6 grid of visual tokens (a ViT-style stem). The
 * stem sees 5 channels: RGB plus CoordConv x/y channels, so every token knows where it is.
 */
const PATCH = 4;
const GRID = IMAGE_SIZE / PATCH;
export const TOKENS = GRID * GRID;
/** Image channels the stem sees: RGB + the two coordinate channels forward() appends. */
export const STEM_CHANNELS = 5;
const TOKEN = 32;
const VISION_BLOCKS = 2;
export const VISUAL_FEATURES = TOKENS * TOKEN;
/** Language-conditioned attention pooling (a Perceiver/MAP-style cross-attention read-out). */
const HEADS = 2;
const HEAD_DIM = 16;
const VIS = HEADS * HEAD_DIM;
const LANG = 32;
const FUSE = [128, 128];

function linear(name: string, inF: number, outF: number): ParamSpec[] {
  return [{ name: `${name}.weight`, shape: [outF, inF], fanIn: inF }, { name: `${name}.bias`, shape: [outF], fanIn: 0 }];
}

/** The policy's tensors in export order. */
export const POLICY_SPECS: ParamSpec[] = [
  // Conv2d(5, TOKEN, k=PATCH, s=PATCH) as in ViT, in PyTorch layout; run as one matMul over patches.
  { name: 'vision_backbone.patch_embed.proj.weight', shape: [TOKEN, STEM_CHANNELS, PATCH, PATCH], fanIn: STEM_CHANNELS * PATCH * PATCH },
  { name: 'vision_backbone.patch_embed.proj.bias', shape: [TOKEN], fanIn: 0 },
  ...Array.from({ length: VISION_BLOCKS }, (_, i) => [
    ...linear(`vision_backbone.blocks.${i}.mlp.fc1`, TOKEN, 2 * TOKEN),
    ...linear(`vision_backbone.blocks.${i}.mlp.fc2`, 2 * TOKEN, TOKEN),
  ]).flat(),
  { name: 'language_model.embed_tokens.weight', shape: [VOCAB.length, LANG], fanIn: -1 },
  ...linear('language_model.layers.0.mlp.fc1', LANG, 2 * LANG),
  ...linear('language_model.layers.0.mlp.fc2', 2 * LANG, LANG),
  // The instruction queries the visual tokens: "which token is the red block, and where is it".
  ...linear('projector.attn_pool.q_proj', LANG, VIS),
  ...linear('projector.attn_pool.k_proj', TOKEN, VIS),
  ...linear('projector.attn_pool.v_proj', TOKEN, VIS),
  ...linear('fusion.fc1', VIS + LANG + 2, FUSE[0]),
  ...linear('fusion.fc2', FUSE[0], FUSE[1]),
  ...linear('action_head.fc', FUSE[1], 2).map((s) => ({ ...s, gain: 0.1 })),
];

/** The auxiliary head lives only in auxiliary-objective runs; it is never part of the policy. */
export const AUX_HEAD_SPECS: ParamSpec[] = [...linear('aux_head.fc1', VISUAL_FEATURES, 32), ...linear('aux_head.fc2', 32, PRIVILEGED_DIM)];

export type Weights = Map<string, Float32Array>;
export type Vars = Record<string, tf.Variable>;

export function specSize(s: ParamSpec): number {
  return s.shape.reduce((a, b) => a * b, 1);
}

export function parameterTotal(specs: ParamSpec[] = POLICY_SPECS): number {
  return specs.reduce((n, s) => n + specSize(s), 0);
}

/** He-normal weights, zero biases, N(0, 0.5²) embeddings, from a seed. */
export function initWeights(specs: ParamSpec[], seed: number): Weights {
  const r = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const w: Weights = new Map();
  for (const s of specs) {
    const a = new Float32Array(specSize(s));
    if (s.fanIn !== 0) {
      const std = (s.fanIn < 0 ? 0.5 : Math.sqrt(2 / s.fanIn)) * (s.gain ?? 1);
      for (let i = 0; i < a.length; i++) a[i] = normal() * std;
    }
    w.set(s.name, a);
  }
  return w;
}

/** Checks that a set of named tensors has the policy's architecture; returns the faults. */
export function architectureFaults(shapes: Map<string, number[]>, specs: ParamSpec[] = POLICY_SPECS): string[] {
  const faults: string[] = [];
  for (const s of specs) {
    const got = shapes.get(s.name);
    if (!got) faults.push(`missing tensor ${s.name}`);
    else if (got.join('×') !== s.shape.join('×')) faults.push(`${s.name}: shape [${got}] ≠ [${s.shape}]`);
  }
  return faults;
}

export function makeVars(w: Weights, specs: ParamSpec[], prefix: string): Vars {
  const v: Vars = {};
  for (const s of specs) {
    const data = w.get(s.name);
    if (!data) throw new Error(`weights: missing tensor ${s.name}`);
    // Variable names are global in tfjs; a per-run prefix keeps runs apart.
    v[s.name] = tf.variable(tf.tensor(data, s.shape), true, `${prefix}/${s.name}`);
  }
  return v;
}

export async function readVars(v: Vars, specs: ParamSpec[]): Promise<Weights> {
  const w: Weights = new Map();
  for (const s of specs) w.set(s.name, (await v[s.name].data()) as Float32Array);
  return w;
}

export function disposeVars(v: Vars): void {
  for (const t of Object.values(v)) t.dispose();
}

export interface PolicyInput {
  images: tf.Tensor4D; // B × H × W × 3
  states: tf.Tensor2D; // B × 2
  /** B × VOCAB: each row the mean one-hot of the instruction's words (padding left out). */
  words: tf.Tensor2D;
}

const dense = (p: Vars | Record<string, tf.Tensor>, name: string, x: tf.Tensor2D): tf.Tensor2D =>
  tf.add(tf.matMul(x, p[`${name}.weight`] as tf.Tensor2D, false, true), p[`${name}.bias`]) as tf.Tensor2D;

/** x/y coordinate channels in [-1, 1] (row 0 is y = +1, as the renderer draws), one copy per call. */
function coordChannels(n: number): tf.Tensor4D {
  const c = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 2);
  for (let i = 0; i < IMAGE_SIZE; i++) {
    for (let j = 0; j < IMAGE_SIZE; j++) {
      c[(i * IMAGE_SIZE + j) * 2] = -1 + ((j + 0.5) * 2) / IMAGE_SIZE;
      c[(i * IMAGE_SIZE + j) * 2 + 1] = 1 - ((i + 0.5) * 2) / IMAGE_SIZE;
    }
  }
  return tf.tile(tf.tensor4d(c, [1, IMAGE_SIZE, IMAGE_SIZE, 2]), [n, 1, 1, 1]);
}

/** Visual tokens (flattened), attention maps and the action. Call inside tf.tidy or a gradient closure. */
export function forward(p: Vars | Record<string, tf.Tensor>, x: PolicyInput): { action: tf.Tensor2D; visual: tf.Tensor2D } {
  const n = x.images.shape[0];
  const img = tf.concat([x.images, coordChannels(n)], 3);
  // Patches in (channel, row, col) order to match the Conv2d weight's [out, in, kh, kw] flattening.
  const patches = tf.reshape(
    tf.transpose(tf.reshape(img, [n, GRID, PATCH, GRID, PATCH, STEM_CHANNELS]), [0, 1, 3, 5, 2, 4]),
    [n * TOKENS, STEM_CHANNELS * PATCH * PATCH],
  ) as tf.Tensor2D;
  const proj = tf.reshape(p['vision_backbone.patch_embed.proj.weight'], [TOKEN, STEM_CHANNELS * PATCH * PATCH]);
  let h = tf.relu(tf.add(tf.matMul(patches, proj, false, true), p['vision_backbone.patch_embed.proj.bias'])) as tf.Tensor2D;
  for (let i = 0; i < VISION_BLOCKS; i++) {
    const m = dense(p, `vision_backbone.blocks.${i}.mlp.fc2`, tf.relu(dense(p, `vision_backbone.blocks.${i}.mlp.fc1`, h)));
    h = tf.add(h, m) as tf.Tensor2D;
  }
  const visual = tf.reshape(h, [n, VISUAL_FEATURES]) as tf.Tensor2D;

  // Mean of the word embeddings as one matMul with the bag of words (a gather's gradient is a slow
  // scatter on the CPU backend; this is the same function).
  const e = tf.matMul(x.words, p['language_model.embed_tokens.weight'] as tf.Tensor2D) as tf.Tensor2D;
  const l = tf.add(e, dense(p, 'language_model.layers.0.mlp.fc2', tf.relu(dense(p, 'language_model.layers.0.mlp.fc1', e)))) as tf.Tensor2D;

  // Cross-attention from the instruction to the tokens, per head: softmax over the 36 tokens.
  const q = tf.reshape(dense(p, 'projector.attn_pool.q_proj', l), [n, HEADS, 1, HEAD_DIM]);
  const k = tf.transpose(tf.reshape(dense(p, 'projector.attn_pool.k_proj', h), [n, TOKENS, HEADS, HEAD_DIM]), [0, 2, 3, 1]);
  const v = tf.transpose(tf.reshape(dense(p, 'projector.attn_pool.v_proj', h), [n, TOKENS, HEADS, HEAD_DIM]), [0, 2, 1, 3]);
  const attn = tf.softmax(tf.mul(tf.matMul(q, k), 1 / Math.sqrt(HEAD_DIM)));
  const pooled = tf.reshape(tf.matMul(attn, v), [n, VIS]) as tf.Tensor2D;

  const f1 = tf.relu(dense(p, 'fusion.fc1', tf.concat([pooled, l, x.states], 1) as tf.Tensor2D));
  const f2 = tf.relu(dense(p, 'fusion.fc2', f1));
  return { action: dense(p, 'action_head.fc', f2), visual };
}

/** The auxiliary head: visual tokens → a vector aligned with the privileged scene facts. */
export function auxHead(p: Vars | Record<string, tf.Tensor>, visual: tf.Tensor2D): tf.Tensor2D {
  return dense(p, 'aux_head.fc2', tf.relu(dense(p, 'aux_head.fc1', visual)));
}

export function inputTensors(images: Float32Array, states: Float32Array, tokens: Int32Array, n: number): PolicyInput {
  return {
    images: tf.tensor4d(images, [n, IMAGE_SIZE, IMAGE_SIZE, 3]),
    states: tf.tensor2d(states, [n, 2]),
    words: tf.tensor2d(bagOfWords(tokens, n), [n, VOCAB.length]),
  };
}

export function bagOfWords(tokens: Int32Array, n: number): Float32Array {
  const out = new Float32Array(n * VOCAB.length);
  for (let i = 0; i < n; i++) {
    let count = 0;
    for (let t = 0; t < INSTRUCTION_TOKENS; t++) if (tokens[i * INSTRUCTION_TOKENS + t] > 0) count++;
    for (let t = 0; t < INSTRUCTION_TOKENS; t++) {
      const id = tokens[i * INSTRUCTION_TOKENS + t];
      if (id > 0) out[i * VOCAB.length + id] += 1 / count;
    }
  }
  return out;
}
