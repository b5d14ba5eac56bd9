/**
 * A tiny VLA-style policy in tfjs: a patch-token vision encoder (ViT-style patch embedding + learned
 * position embeddings + two residual token MLPs), instruction embedding → one MLP layer, a projector in
 * which the instruction attends over the visual tokens, a fusion MLP with the agent state, and a
 * continuous action head.
 *
 * Weights are plain named variables in PyTorch layout (Linear [out, in], Conv [out, in, kh, kw]) with
 * OpenVLA-like names, so an exported checkpoint looks like a real VLA to the workbench's layer
 * parser and heatmaps. Initial values come from our own seeded PRNG, never from tf.random*, so every
 * backend starts from the same bits.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE, INSTRUCTION_TOKENS, PATCH, PATCH_COUNT, PATCH_TARGET_DIM, PATCHES_PER_SIDE, rng, VOCAB } from './env';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Fan-in for He initialisation; 0 = zeros; -1 = embedding table (N(0, 0.5²)). */
  fanIn: number;
  /** Extra factor on the initial scale (a small action head keeps the first steps stable). */
  gain?: number;
}

/**
 * The vision backbone has no built-in localisation (issue 10): a token knows where it is only through
 * a learned position embedding, and what it sees only through a learned patch embedding, so "where is
 * the red block" is something the encoder must learn — from the action loss alone (slowly: one 2-D
 * action per image) or, in auxiliary-objective runs, from the dense per-token teacher targets.
 * The tokens after the first residual MLP are the intermediate visual features the auxiliary loss
 * aligns and the probe reads.
 */
export const TOKEN_DIM = 32;
export const VISUAL_FEATURES = PATCH_COUNT * TOKEN_DIM;
/** The instruction attends over the visual tokens (a cross-attention read-out), HEADS times. */
const HEADS = 2;
const LANG = 32;
const PROJ = 64;
const FUSE = [128, 128];
const PATCH_IN = 3 * PATCH * PATCH;

function linear(name: string, inF: number, outF: number): ParamSpec[] {
  return [{ name: `${name}.weight`, shape: [outF, inF], fanIn: inF }, { name: `${name}.bias`, shape: [outF], fanIn: 0 }];
}

/** The policy's tensors in export order. */
export const POLICY_SPECS: ParamSpec[] = [
  // Conv2d(3, TOKEN_DIM, k=PATCH, stride=PATCH) in PyTorch layout, run as one matMul over patches.
  { name: 'vision_backbone.patch_embed.proj.weight', shape: [TOKEN_DIM, 3, PATCH, PATCH], fanIn: PATCH_IN },
  { name: 'vision_backbone.patch_embed.proj.bias', shape: [TOKEN_DIM], fanIn: 0 },
  { name: 'vision_backbone.pos_embed', shape: [1, PATCH_COUNT, TOKEN_DIM], fanIn: -1 },
  ...linear('vision_backbone.blocks.0.mlp.fc1', TOKEN_DIM, 2 * TOKEN_DIM),
  ...linear('vision_backbone.blocks.0.mlp.fc2', 2 * TOKEN_DIM, TOKEN_DIM),
  ...linear('vision_backbone.blocks.1.mlp.fc1', TOKEN_DIM, 2 * TOKEN_DIM),
  ...linear('vision_backbone.blocks.1.mlp.fc2', 2 * TOKEN_DIM, TOKEN_DIM),
  { name: 'language_model.embed_tokens.weight', shape: [VOCAB.length, LANG], fanIn: -1 },
  ...linear('language_model.layers.0.mlp.fc1', LANG, 2 * LANG),
  ...linear('language_model.layers.0.mlp.fc2', 2 * LANG, LANG),
  ...linear('projector.attn_pool.q_proj', LANG, HEADS * TOKEN_DIM),
  ...linear('projector.fc1', HEADS * TOKEN_DIM, PROJ),
  ...linear('fusion.fc1', PROJ + LANG + 2, FUSE[0]),
  ...linear('fusion.fc2', FUSE[0], FUSE[1]),
  ...linear('action_head.fc', FUSE[1], 2).map((s) => ({ ...s, gain: 0.1 })),
];

/** The auxiliary head (one projection per token) lives only in auxiliary-objective runs; it is never part of the policy. */
export const AUX_HEAD_SPECS: ParamSpec[] = linear('aux_head.proj', TOKEN_DIM, PATCH_TARGET_DIM);

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

/** The intermediate visual tokens [B, PATCH_COUNT, TOKEN_DIM]: patch embedding + position, then the residual MLP. */
export function visualTokens(p: Vars | Record<string, tf.Tensor>, images: tf.Tensor4D): tf.Tensor3D {
  const n = images.shape[0];
  // Conv2d(k = stride = PATCH) as one matMul over patches, each flattened (row, column, channel), against
  // the PyTorch weight [D, 3, kh, kw] reordered to [D, kh, kw, 3]. Only rank-4 transposes: a rank-6 one
  // computes wrong values on tfjs's WebGPU backend, and tf.conv2d's filter gradient is missing on its
  // WebAssembly backend.
  const rows = tf.reshape(images, [n * PATCHES_PER_SIDE, PATCH, PATCHES_PER_SIDE, PATCH * 3]);
  const patches = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n * PATCH_COUNT, PATCH_IN]) as tf.Tensor2D;
  const w = tf.reshape(tf.transpose(p['vision_backbone.patch_embed.proj.weight'], [0, 2, 3, 1]), [TOKEN_DIM, PATCH_IN]) as tf.Tensor2D;
  const emb = tf.add(tf.matMul(patches, w, false, true), p['vision_backbone.patch_embed.proj.bias']);
  const tok = tf.reshape(tf.add(tf.reshape(emb, [n, PATCH_COUNT, TOKEN_DIM]), p['vision_backbone.pos_embed']), [n * PATCH_COUNT, TOKEN_DIM]) as tf.Tensor2D;
  return tf.reshape(block(p, 0, tok), [n, PATCH_COUNT, TOKEN_DIM]) as tf.Tensor3D;
}

/** A residual token MLP, x + fc2(relu(fc1(x))), over [tokens, TOKEN_DIM]. */
function block(p: Vars | Record<string, tf.Tensor>, i: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(x, dense(p, `vision_backbone.blocks.${i}.mlp.fc2`, tf.relu(dense(p, `vision_backbone.blocks.${i}.mlp.fc1`, x)))) as tf.Tensor2D;
}

/** Visual tokens and the action. Call inside tf.tidy or a gradient closure. */
export function forward(p: Vars | Record<string, tf.Tensor>, x: PolicyInput): { action: tf.Tensor2D; tokens: tf.Tensor3D } {
  const n = x.images.shape[0];
  const tokens = visualTokens(p, x.images);
  // The intermediate tokens (block 0) are what the auxiliary loss aligns and the probe reads; one more
  // block maps them for the read-out, as a VLA aligns a middle layer, not the one its head reads.
  const late = tf.reshape(block(p, 1, tf.reshape(tokens, [n * PATCH_COUNT, TOKEN_DIM]) as tf.Tensor2D), [n, PATCH_COUNT, TOKEN_DIM]) as tf.Tensor3D;

  // Mean of the word embeddings as one matMul with the bag of words (a gather's gradient is a slow
  // scatter on the CPU backend; this is the same function).
  const e = tf.matMul(x.words, p['language_model.embed_tokens.weight'] as tf.Tensor2D) as tf.Tensor2D;
  const l = tf.add(e, dense(p, 'language_model.layers.0.mlp.fc2', tf.relu(dense(p, 'language_model.layers.0.mlp.fc1', e)))) as tf.Tensor2D;

  // The instruction reads the tokens: per head a softmax over the patches, then their weighted sum.
  const q = tf.reshape(dense(p, 'projector.attn_pool.q_proj', l), [n, HEADS, TOKEN_DIM]);
  const attn = tf.softmax(tf.div(tf.matMul(q, late, false, true), Math.sqrt(TOKEN_DIM)));
  const pooled = tf.reshape(tf.matMul(attn, late), [n, HEADS * TOKEN_DIM]) as tf.Tensor2D;
  const proj = dense(p, 'projector.fc1', pooled);

  const f1 = tf.relu(dense(p, 'fusion.fc1', tf.concat([proj, l, x.states], 1) as tf.Tensor2D));
  const f2 = tf.relu(dense(p, 'fusion.fc2', f1));
  return { action: dense(p, 'action_head.fc', f2), tokens };
}

/** The auxiliary head: every visual token → a vector aligned with the teacher's target for its patch. */
export function auxHead(p: Vars | Record<string, tf.Tensor>, tokens: tf.Tensor3D): tf.Tensor2D {
  const n = tokens.shape[0];
  return dense(p, 'aux_head.proj', tf.reshape(tokens, [n * PATCH_COUNT, TOKEN_DIM]) as tf.Tensor2D);
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
