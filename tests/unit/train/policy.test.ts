import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SIZE, VOCAB, PRIVILEGED_DIM, rng } from '../../../src/train/env';
import {
  architectureFaults, AUX_HEAD_SPECS, auxHead, bagOfWords, forward, initWeights, inputTensors, keypoints, KEYPOINTS, makeVars, parameterTotal, POLICY_SPECS, VISUAL_FEATURES,
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
    for (const n of ['vision_backbone.patch_embed.proj.weight', 'vision_backbone.keypoints.proj.weight', 'projector.attn_pool.q_proj.weight',
      'language_model.embed_tokens.weight', 'language_model.layers.0.mlp.fc1.weight', 'action_head.fc.weight']) expect(names).toContain(n);
    expect(new Set(names).size).toBe(names.length);
  });

  it('maps a batch to actions [B, 2] and visual tokens [B, F]; the aux head to [B, PRIVILEGED_DIM]', () => {
    const v = makeVars(initWeights(POLICY_SPECS, 1), POLICY_SPECS, 'shape-test');
    const h = makeVars(initWeights(AUX_HEAD_SPECS, 2), AUX_HEAD_SPECS, 'shape-test-aux');
    const n = 5;
    const r = rng(4);
    const x = inputTensors(Float32Array.from({ length: n * IMAGE_SIZE * IMAGE_SIZE * 3 }, r), new Float32Array(n * 2), new Int32Array(n * 7).fill(1), n);
    const out = forward(v, x);
    expect(out.action.shape).toEqual([n, 2]);
    expect(out.visual.shape).toEqual([n, VISUAL_FEATURES]);
    expect(auxHead(h, out.visual).shape).toEqual([n, PRIVILEGED_DIM]);
    expect(Array.from(out.action.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('the keypoints are the spatial softmax of 1×1 convs over the pixels (plain JS reference)', () => {
    const w = initWeights(POLICY_SPECS, 3);
    const r = rng(5);
    const n = 2;
    const px = IMAGE_SIZE * IMAGE_SIZE;
    const img = Float32Array.from({ length: n * px * 3 }, r);
    const v = makeVars(w, POLICY_SPECS, 'kp-test');
    const got = keypoints(v, tf.tensor4d(img, [n, IMAGE_SIZE, IMAGE_SIZE, 3])).dataSync();
    const w1 = w.get('vision_backbone.patch_embed.proj.weight')!;
    const b1 = w.get('vision_backbone.patch_embed.proj.bias')!;
    const w2 = w.get('vision_backbone.keypoints.proj.weight')!;
    const b2 = w.get('vision_backbone.keypoints.proj.bias')!;
    const E = b1.length;
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < KEYPOINTS; k++) {
        const score = new Float64Array(px);
        for (let q = 0; q < px; q++) {
          let acc = b2[k];
          for (let e = 0; e < E; e++) {
            let h = b1[e];
            for (let c = 0; c < 3; c++) h += w1[e * 3 + c] * img[(s * px + q) * 3 + c];
            acc += w2[k * E + e] * Math.max(0, h);
          }
          score[q] = acc;
        }
        const m = Math.max(...score);
        let z = 0;
        let x = 0;
        let y = 0;
        for (let q = 0; q < px; q++) {
          const e = Math.exp(score[q] - m);
          z += e;
          x += e * (-1 + ((q % IMAGE_SIZE) + 0.5) * (2 / IMAGE_SIZE));
          y += e * (1 - (Math.floor(q / IMAGE_SIZE) + 0.5) * (2 / IMAGE_SIZE));
        }
        expect(got[s * KEYPOINTS * 2 + k * 2]).toBeCloseTo(x / z, 4);
        expect(got[s * KEYPOINTS * 2 + k * 2 + 1]).toBeCloseTo(y / z, 4);
      }
    }
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
    expect(architectureFaults(shapes)).toEqual(['fusion.fc1.weight: shape [1,2] ≠ [128,70]', 'missing tensor action_head.fc.bias']);
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
    expect(await successRate(v, TASK_SETS.pretrain, 10, 99)).toBeGreaterThanOrEqual(0.85);
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
