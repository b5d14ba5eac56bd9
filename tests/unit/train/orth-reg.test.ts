import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cosineByTensor, orthPenalty, type OrthOptions, type OrthScope, type OrthVariant } from '../../../src/train/orth-reg';
import { rng } from '../../../src/train/env';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Hand example: Δ_a = θ_a − meta_a = [1, 1], Δ_b = [2]; γ_a = [2, 1], γ_b = [−1].
// ⟨Δ_a, γ_a⟩ = 3, ⟨Δ_b, γ_b⟩ = −2, |Δ_a|² = 2, |γ_a|² = 5, |Δ_b|² = 4, |γ_b|² = 1.
const named = (a: number[], b: number[]) => ({ a: tf.tensor1d(a), b: tf.tensor1d(b) });
const theta = named([1, 2], [3]);
const meta = named([0, 1], [1]);
const gamma = named([2, 1], [-1]);

describe('orthogonality penalty', () => {
  const cases: [OrthVariant, OrthScope, number][] = [
    ['dot', 'tensor', 3 - 2],
    ['abs', 'tensor', 3 + 2],
    ['cos2', 'tensor', 9 / 10 + 4 / 4],
    ['dot', 'model', 1],
    ['abs', 'model', 1],
    ['cos2', 'model', 1 / (6 * 6)],
  ];
  for (const [variant, scope, expected] of cases) {
    it(`${variant} per ${scope} equals the hand-computed value × λ`, async () => {
      const v = orthPenalty(theta, meta, gamma, ['a', 'b'], { lambda: 2, variant, scope, eps: 0 });
      expect((await v.data())[0]).toBeCloseTo(2 * expected, 5);
    });
  }

  it('cosineByTensor reports per-tensor and whole-model cosines', async () => {
    const c = await cosineByTensor(theta, meta, gamma, ['a', 'b']);
    expect(c[0]).toBeCloseTo(3 / Math.sqrt(10), 6);
    expect(c[1]).toBeCloseTo(-1, 6);
    expect(c[2]).toBeCloseTo(1 / 6, 6);
  });

  it('is zero at Δ = 0 with a finite gradient (the first downstream step)', async () => {
    const g = tf.grad((x: tf.Tensor) => orthPenalty({ a: x, b: meta.b }, meta, gamma, ['a', 'b'], { lambda: 1, variant: 'cos2', scope: 'tensor', eps: 1e-12 }));
    const d = await g(meta.a).data();
    expect(Array.from(d).every(Number.isFinite)).toBe(true);
  });

  // The reference: central differences of the penalty's value, one coordinate at a time.
  for (const variant of ['dot', 'abs', 'cos2'] as OrthVariant[]) {
    for (const scope of ['tensor', 'model'] as OrthScope[]) {
      it(`${variant}/${scope}: autodiff gradient matches finite differences`, async () => {
        const r = rng(variant.length * 7 + scope.length);
        const rand = (n: number) => Array.from({ length: n }, () => r() * 2 - 1);
        const m = { a: tf.tensor2d(rand(6), [2, 3]), b: tf.tensor1d(rand(4)) };
        const gm = { a: tf.tensor2d(rand(6), [2, 3]), b: tf.tensor1d(rand(4)) };
        const x0a = rand(6);
        const x0b = rand(4);
        const opt: OrthOptions = { lambda: 0.7, variant, scope, eps: 1e-12 };
        const f = (a: tf.Tensor, b: tf.Tensor) => orthPenalty({ a, b }, m, gm, ['a', 'b'], opt);
        const [ga, gb] = tf.grads(f)([tf.tensor2d(x0a, [2, 3]), tf.tensor1d(x0b)]);
        const analytic = [...(await ga.data()), ...(await gb.data())];
        const value = (xa: number[], xb: number[]) => f(tf.tensor2d(xa, [2, 3]), tf.tensor1d(xb)).dataSync()[0];
        const h = 1e-2;
        const numeric = [...x0a, ...x0b].map((_, i) => {
          const plus = [...x0a, ...x0b];
          const minus = [...x0a, ...x0b];
          plus[i] += h;
          minus[i] -= h;
          return (value(plus.slice(0, 6), plus.slice(6)) - value(minus.slice(0, 6), minus.slice(6))) / (2 * h);
        });
        const scale = Math.max(...numeric.map(Math.abs), 1e-3);
        for (let i = 0; i < numeric.length; i++) expect(Math.abs(analytic[i] - numeric[i]) / scale).toBeLessThan(2e-2);
      });
    }
  }
});
