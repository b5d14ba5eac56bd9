/**
 * A tiny VLA-style policy in tfjs: a keypoint image encoder (1×1 convs + spatial softmax),
 * instruction embedding → one MLP layer, a projector where the instruction attends over the
 * keypoints, fusion MLP with the agent state, and a continuous action head.
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
 * The vision backbone is a per-pixel (1×1 conv) embedding and a second 1×1 layer that scores every
 * pixel for KEYPOINTS channels; a spatial softmax per channel turns each score map into an expected
 * (x, y) (the "deep spatial autoencoder" keypoint encoder of visuomotor policy learning). The
 * keypoints are the policy's intermediate visual features: sub-pixel object positions, which a
 * plain flatten-and-project encoder of a 24×24 image fails to produce in a short training budget.
 */
const EMBED = 16;
export const KEYPOINTS = 16;
export const VISUAL_FEATURES = KEYPOINTS * 2;
/** The instruction attends over the keypoints (a cross-attention read-out), HEADS times. */
const HEADS = 2;
const LANG = 32;
const FUSE = [128, 128];
const FUSE_IN = HEADS * 2 + VISUAL_FEATURES + LANG + 2;

function linear(name: string, inF: number, outF: number): ParamSpec[] {
  return [{ name: `${name}.weight`, shape: [outF, inF], fanIn: inF }, { name: `${name}.bias`, shape: [outF], fanIn: 0 }];
}

/** The policy's tensors in export order. */
export const POLICY_SPECS: ParamSpec[] = [
  // Conv2d(3, EMBED, k=1) and Conv2d(EMBED, KEYPOINTS, k=1) in PyTorch layout, run as matMuls over pixels.
  { name: 'vision_backbone.patch_embed.proj.weight', shape: [EMBED, 3, 1, 1], fanIn: 3 },
  { name: 'vision_backbone.patch_embed.proj.bias', shape: [EMBED], fanIn: 0 },
  { name: 'vision_backbone.keypoints.proj.weight', shape: [KEYPOINTS, EMBED, 1, 1], fanIn: EMBED, gain: 2 },
  { name: 'vision_backbone.keypoints.proj.bias', shape: [KEYPOINTS], fanIn: 0 },
  { name: 'language_model.embed_tokens.weight', shape: [VOCAB.length, LANG], fanIn: -1 },
  ...linear('language_model.layers.0.mlp.fc1', LANG, 2 * LANG),
  ...linear('language_model.layers.0.mlp.fc2', 2 * LANG, LANG),
  ...linear('projector.attn_pool.q_proj', LANG, HEADS * KEYPOINTS),
  ...linear('fusion.fc1', FUSE_IN, FUSE[0]),
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

/** Pixel-centre coordinates [H·W, 2] in table units (row 0 is y = +1, as the renderer draws). */
const PIXEL_XY = (() => {
  const c = new Float32Array(IMAGE_SIZE * IMAGE_SIZE * 2);
  for (let i = 0; i < IMAGE_SIZE; i++) {
    for (let j = 0; j < IMAGE_SIZE; j++) {
      c[(i * IMAGE_SIZE + j) * 2] = -1 + ((j + 0.5) * 2) / IMAGE_SIZE;
      c[(i * IMAGE_SIZE + j) * 2 + 1] = 1 - ((i + 0.5) * 2) / IMAGE_SIZE;
    }
  }
  return c;
})();

/** Keypoints [B, KEYPOINTS·2] as (x₀, y₀, x₁, y₁, …): the softmax-weighted mean pixel position per channel. */
export function keypoints(p: Vars | Record<string, tf.Tensor>, images: tf.Tensor4D): tf.Tensor2D {
  const n = images.shape[0];
  const pixels = IMAGE_SIZE * IMAGE_SIZE;
  const rgb = tf.reshape(images, [n * pixels, 3]) as tf.Tensor2D;
  const w1 = tf.reshape(p['vision_backbone.patch_embed.proj.weight'], [EMBED, 3]) as tf.Tensor2D;
  const w2 = tf.reshape(p['vision_backbone.keypoints.proj.weight'], [KEYPOINTS, EMBED]) as tf.Tensor2D;
  const h = tf.relu(tf.add(tf.matMul(rgb, w1, false, true), p['vision_backbone.patch_embed.proj.bias']));
  const score = tf.add(tf.matMul(h as tf.Tensor2D, w2, false, true), p['vision_backbone.keypoints.proj.bias']);
  // [B, K, H·W]: softmax over the pixels of each channel, then the expected pixel position.
  const attn = tf.softmax(tf.transpose(tf.reshape(score, [n, pixels, KEYPOINTS]), [0, 2, 1]));
  const xy = tf.matMul(tf.reshape(attn, [n * KEYPOINTS, pixels]) as tf.Tensor2D, tf.tensor2d(PIXEL_XY, [pixels, 2]));
  return tf.reshape(xy, [n, VISUAL_FEATURES]) as tf.Tensor2D;
}

/** Visual features (keypoints) and the action. Call inside tf.tidy or a gradient closure. */
export function forward(p: Vars | Record<string, tf.Tensor>, x: PolicyInput): { action: tf.Tensor2D; visual: tf.Tensor2D } {
  const n = x.images.shape[0];
  const visual = keypoints(p, x.images);

  // Mean of the word embeddings as one matMul with the bag of words (a gather's gradient is a slow
  // scatter on the CPU backend; this is the same function).
  const e = tf.matMul(x.words, p['language_model.embed_tokens.weight'] as tf.Tensor2D) as tf.Tensor2D;
  const l = tf.add(e, dense(p, 'language_model.layers.0.mlp.fc2', tf.relu(dense(p, 'language_model.layers.0.mlp.fc1', e)))) as tf.Tensor2D;

  // The instruction picks keypoints: per head a softmax over the channels, then their weighted (x, y).
  const pick = tf.softmax(tf.reshape(dense(p, 'projector.attn_pool.q_proj', l), [n, HEADS, KEYPOINTS]));
  const picked = tf.reshape(tf.matMul(pick, tf.reshape(visual, [n, KEYPOINTS, 2])), [n, HEADS * 2]) as tf.Tensor2D;

  const f1 = tf.relu(dense(p, 'fusion.fc1', tf.concat([picked, visual, l, x.states], 1) as tf.Tensor2D));
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
