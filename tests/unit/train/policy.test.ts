import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SIZE, PATCH, PATCH_COUNT, PATCH_TARGET_DIM, PATCHES_PER_SIDE, VOCAB, rng } from '../../../src/train/env';
import {
  architectureFaults, AUX_HEAD_SPECS, auxHead, bagOfWords, forward, initWeights, inputTensors, makeVars, parameterTotal, POLICY_SPECS, TOKEN_DIM, visualTokens,
} from '../../../src/train/policy';
import { safetensorsToWeights, weightsToSafetensors } from '../../../src/train/export';
import { actionLoss, cosineAlignLoss } from '../../../src/train/losses';
import { successRate } from '../../../src/train/evaluate';
import { TASK_SETS } from '../../../src/train/tasks';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('policy', () => {
  it('has VLA-like names and tens of thousands of parameters', () => {
    expect(parameterTotal()).toBeGreaterThan(20_000);
    expect(parameterTotal()).toBeLessThan(500_000);
    const names = POLICY_SPECS.map((s) => s.name);
    for (const n of ['vision_backbone.patch_embed.proj.weight', 'vision_backbone.pos_embed', 'vision_backbone.blocks.0.mlp.fc1.weight', 'projector.attn_pool.q_proj.weight',
      'language_model.embed_tokens.weight', 'language_model.layers.0.mlp.fc1.weight', 'action_head.fc.weight']) expect(names).toContain(n);
    expect(new Set(names).size).toBe(names.length);
  });

  it('maps a batch to actions [B, 2] and visual tokens [B, patches, D]; the aux head to one target per token', () => {
    const v = makeVars(initWeights(POLICY_SPECS, 1), POLICY_SPECS, 'shape-test');
    const h = makeVars(initWeights(AUX_HEAD_SPECS, 2), AUX_HEAD_SPECS, 'shape-test-aux');
    const n = 5;
    const r = rng(4);
    const x = inputTensors(Float32Array.from({ length: n * IMAGE_SIZE * IMAGE_SIZE * 3 }, r), new Float32Array(n * 2), new Int32Array(n * 7).fill(1), n);
    const out = forward(v, x);
    expect(out.action.shape).toEqual([n, 2]);
    expect(out.tokens.shape).toEqual([n, PATCH_COUNT, TOKEN_DIM]);
    expect(auxHead(h, out.tokens).shape).toEqual([n * PATCH_COUNT, PATCH_TARGET_DIM]);
    expect(Array.from(out.action.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('the visual tokens are patch embedding + position + residual MLP (plain JS reference)', () => {
    const w = initWeights(POLICY_SPECS, 3);
    const r = rng(5);
    const n = 2;
    const img = Float32Array.from({ length: n * IMAGE_SIZE * IMAGE_SIZE * 3 }, r);
    const v = makeVars(w, POLICY_SPECS, 'tok-test');
    const got = visualTokens(v, tf.tensor4d(img, [n, IMAGE_SIZE, IMAGE_SIZE, 3])).dataSync();
    const pw = w.get('vision_backbone.patch_embed.proj.weight')!; // [D, 3, P, P]
    const pb = w.get('vision_backbone.patch_embed.proj.bias')!;
    const pos = w.get('vision_backbone.pos_embed')!;
    const f1 = w.get('vision_backbone.blocks.0.mlp.fc1.weight')!;
    const b1 = w.get('vision_backbone.blocks.0.mlp.fc1.bias')!;
    const f2 = w.get('vision_backbone.blocks.0.mlp.fc2.weight')!;
    const b2 = w.get('vision_backbone.blocks.0.mlp.fc2.bias')!;
    const D = TOKEN_DIM;
    const H = b1.length;
    let worst = 0;
    for (let s = 0; s < n; s++) {
      for (let pi = 0; pi < PATCHES_PER_SIDE; pi++) {
        for (let pj = 0; pj < PATCHES_PER_SIDE; pj++) {
          const t = pi * PATCHES_PER_SIDE + pj;
          const tok = new Float64Array(D);
          for (let d = 0; d < D; d++) {
            let acc = pb[d] + pos[t * D + d];
            // A Conv2d with kernel = stride = PATCH: weight [d, c, ki, kj] against pixel (pi·P + ki, pj·P + kj), channel c.
            for (let c = 0; c < 3; c++) for (let ki = 0; ki < PATCH; ki++) for (let kj = 0; kj < PATCH; kj++) {
              acc += pw[((d * 3 + c) * PATCH + ki) * PATCH + kj] * img[((s * IMAGE_SIZE + pi * PATCH + ki) * IMAGE_SIZE + pj * PATCH + kj) * 3 + c];
            }
            tok[d] = acc;
          }
          const hid = new Float64Array(H);
          for (let h = 0; h < H; h++) {
            let acc = b1[h];
            for (let d = 0; d < D; d++) acc += f1[h * D + d] * tok[d];
            hid[h] = Math.max(0, acc);
          }
          for (let d = 0; d < D; d++) {
            let acc = b2[d];
            for (let h = 0; h < H; h++) acc += f2[d * H + h] * hid[h];
            worst = Math.max(worst, Math.abs(got[(s * PATCH_COUNT + t) * D + d] - (tok[d] + acc)));
          }
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('the bag of words is the mean one-hot of the non-padding tokens', () => {
    const bow = bagOfWords(Int32Array.from([1, 8, 0, 0, 0, 0, 0, 2, 3, 8, 4, 0, 0, 0]), 2);
    expect(bow[1]).toBeCloseTo(0.5);
    expect(bow[8]).toBeCloseTo(0.5);
    expect(bow[0]).toBe(0);
    expect(bow[VOCAB.length + 8]).toBeCloseTo(0.25);
  });

  it('round-trips through safetensors and names architecture faults', async () => {
    const w = initWeights(POLICY_SPECS, 9);
    const bytes = weightsToSafetensors(w, { note: 'test' });
    const back = await safetensorsToWeights('p.safetensors', bytes);
    for (const s of POLICY_SPECS) expect(back.get(s.name)).toEqual(w.get(s.name));
    const shapes = new Map(POLICY_SPECS.map((s) => [s.name, s.shape]));
    shapes.set('fusion.fc1.weight', [1, 2]);
    shapes.delete('action_head.fc.bias');
    expect(architectureFaults(shapes)).toEqual(['fusion.fc1.weight: shape [1,2] ≠ [128,98]', 'missing tensor action_head.fc.bias']);
    const partial = new Map(w);
    partial.delete('action_head.fc.bias');
    await expect(safetensorsToWeights('bad.safetensors', weightsToSafetensors(partial, {}))).rejects.toThrow(/bad\.safetensors: .*missing tensor action_head\.fc\.bias/);
  });

  it('the shipped pretrained weights load, have the architecture and solve the base mix closed-loop', async () => {
    const bytes = new Uint8Array(readFileSync('public/pretrained/policy.safetensors'));
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    const w = await safetensorsToWeights('policy.safetensors', bytes);
    expect(w.size).toBe(POLICY_SPECS.length);
    // Evaluation scenes never used in training; a randomly initialised policy scores ~0 here.
    const v = makeVars(w, POLICY_SPECS, 'shipped-eval');
    // Made by scripts/pretrain_policy.ts (79% on its own evaluation scenes); these are others.
    expect(await successRate(v, TASK_SETS.pretrain, 10, 99)).toBeGreaterThanOrEqual(0.6);
    const fresh = makeVars(initWeights(POLICY_SPECS, 4), POLICY_SPECS, 'fresh-eval');
    expect(await successRate(fresh, TASK_SETS.pretrain, 10, 99)).toBeLessThan(0.3);
  });
});

describe('loss terms', () => {
  it('action loss is the mean squared error', () => {
    const v = actionLoss(tf.tensor2d([[1, 2], [0, 0]]), tf.tensor2d([[0, 0], [0, 1]])).dataSync()[0];
    expect(v).toBeCloseTo((1 + 4 + 0 + 1) / 4, 6);
  });
  it('alignment loss is 1 − cos, averaged over the batch', () => {
    // Row 1: cos([1,0],[1,0]) = 1 → 0; row 2: cos([1,1],[0,1]) = 1/√2 → 1 − 1/√2.
    const v = cosineAlignLoss(tf.tensor2d([[1, 0], [1, 1]]), tf.tensor2d([[1, 0], [0, 1]])).dataSync()[0];
    expect(v).toBeCloseTo((0 + 1 - Math.SQRT1_2) / 2, 5);
    // Scale-free: multiplying the prediction does not change it.
    const w = cosineAlignLoss(tf.tensor2d([[3, 0], [5, 5]]), tf.tensor2d([[1, 0], [0, 1]])).dataSync()[0];
    expect(w).toBeCloseTo(v, 5);
  });
});
