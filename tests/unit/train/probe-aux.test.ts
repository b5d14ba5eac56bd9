import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitRidge, makeProbe } from '../../../src/train/probe';
import { cosineAlignLoss } from '../../../src/train/losses';
import { rng } from '../../../src/train/env';
import { initWeights, makeVars, POLICY_SPECS } from '../../../src/train/policy';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the probe (ridge regression, closed form)', () => {
  it('one feature, by hand: slope Σxy/(Σx² + λ) on centred data, intercept unpenalised', () => {
    // x = 0, 1, 2 and y = 2x + 1. Centred: x = −1, 0, 1; Σx² = 2 = trace(XXᵀ), so λ = ρ·2/3 = 0.5 at ρ = 0.75.
    // slope = Σxy / (Σx² + λ) = 4 / 2.5 = 1.6; intercept = ȳ − slope·x̄ = 3 − 1.6 = 1.4.
    const r = fitRidge(Float64Array.from([0, 1, 2]), Float64Array.from([1, 3, 5]), 3, 1, 1, 0.75);
    const p = r.predict(Float64Array.from([3, 1]), 2);
    expect(p[0]).toBeCloseTo(1.4 + 1.6 * 3, 12);
    expect(p[1]).toBeCloseTo(3, 12);
  });

  it('two features, two outputs: equals the primal (XᵀX + λI)⁻¹Xᵀy solved by Cramer’s rule', () => {
    const x = Float64Array.from([1, 2, 0, 1, 3, 1, 2, 5]); // 4 rows × 2 features
    const y = Float64Array.from([1, 0, 2, 1, 0, 3, 4, 2]); // 4 rows × 2 outputs
    const n = 4;
    const mean = (a: Float64Array, cols: number, c: number) => [0, 1, 2, 3].reduce((s, i) => s + a[i * cols + c], 0) / n;
    const mx = [mean(x, 2, 0), mean(x, 2, 1)];
    const xc = [0, 1, 2, 3].map((i) => [x[i * 2] - mx[0], x[i * 2 + 1] - mx[1]]);
    const rho = 0.1;
    const g = [[0, 0], [0, 0]];
    for (const r of xc) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) g[a][b] += r[a] * r[b];
    const lambda = (rho * (g[0][0] + g[1][1])) / n;
    g[0][0] += lambda;
    g[1][1] += lambda;
    const det = g[0][0] * g[1][1] - g[0][1] * g[1][0];
    const ridge = fitRidge(x, y, n, 2, 2, rho);
    const query = Float64Array.from([2, 2]);
    const got = ridge.predict(query, 1);
    for (let o = 0; o < 2; o++) {
      const my = mean(y, 2, o);
      const xty = [0, 1].map((a) => xc.reduce((s, r, i) => s + r[a] * (y[i * 2 + o] - my), 0));
      const w0 = (xty[0] * g[1][1] - g[0][1] * xty[1]) / det;
      const w1 = (g[0][0] * xty[1] - g[1][0] * xty[0]) / det;
      expect(got[o]).toBeCloseTo(my + (2 - mx[0]) * w0 + (2 - mx[1]) * w1, 10);
    }
  });

  it('reads positions from features that encode them, and not from noise', async () => {
    // A fresh policy's tokens carry some position through the position embedding; a perfect feature
    // would reach ~0. The probe must rank an informative feature map above a constant one.
    const probe = makeProbe({ fit: 48, test: 48 });
    const fresh = makeVars(initWeights(POLICY_SPECS, 2), POLICY_SPECS, 'probe-fresh');
    const zero = makeVars(new Map(POLICY_SPECS.map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1))])), POLICY_SPECS, 'probe-zero');
    const a = await probe.measure(fresh);
    const z = await probe.measure(zero);
    // All-zero weights give the same tokens for every scene: the readout can only predict the mean,
    // whose RMSE is the spread of positions (uniform on ±0.75: 0.75/√3 ≈ 0.43).
    expect(z.mean).toBeGreaterThan(0.38);
    expect(z.mean).toBeLessThan(0.48);
    expect(a.mean).toBeLessThan(z.mean);
    expect(Object.keys(a.byColor)).toEqual(['red', 'green', 'blue', 'yellow']);
    expect(a.heldOut).toBe(a.byColor.yellow);
  });
});

describe('the dense auxiliary loss', () => {
  /** 1 − cos per row, averaged, in float64: the loss written out independently of tfjs. */
  function lossF64(w: Float64Array, b: Float64Array, x: Float64Array, t: Float64Array, rows: number, inF: number, outF: number): number {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      let pp = 0;
      let tt = 0;
      for (let o = 0; o < outF; o++) {
        let p = b[o];
        for (let i = 0; i < inF; i++) p += w[o * inF + i] * x[r * inF + i];
        dot += p * t[r * outF + o];
        pp += p * p;
        tt += t[r * outF + o] ** 2;
      }
      total += 1 - dot / (Math.sqrt(pp + 1e-8) * Math.sqrt(tt + 1e-8));
    }
    return total / rows;
  }

  it('its gradient through a per-token projection equals central finite differences', () => {
    const r = rng(17);
    const rows = 6;
    const inF = 5;
    const outF = 4;
    const x = Float64Array.from({ length: rows * inF }, () => r() * 2 - 1);
    const t = Float64Array.from({ length: rows * outF }, () => r());
    const w = Float64Array.from({ length: outF * inF }, () => r() - 0.5);
    const b = Float64Array.from({ length: outF }, () => r() - 0.5);
    const grads = tf.grads((wt: tf.Tensor, bt: tf.Tensor) =>
      cosineAlignLoss(tf.add(tf.matMul(tf.tensor2d(Float32Array.from(x), [rows, inF]), wt as tf.Tensor2D, false, true), bt) as tf.Tensor2D, tf.tensor2d(Float32Array.from(t), [rows, outF])));
    const [gw, gb] = grads([tf.tensor2d(Float32Array.from(w), [outF, inF]), tf.tensor1d(Float32Array.from(b))]).map((g) => g.dataSync());
    const h = 1e-6;
    const fd = (arr: Float64Array, k: number) => {
      const keep = arr[k];
      arr[k] = keep + h;
      const up = lossF64(w, b, x, t, rows, inF, outF);
      arr[k] = keep - h;
      const down = lossF64(w, b, x, t, rows, inF, outF);
      arr[k] = keep;
      return (up - down) / (2 * h);
    };
    let worst = 0;
    let scale = 0;
    for (let k = 0; k < w.length; k++) {
      worst = Math.max(worst, Math.abs(gw[k] - fd(w, k)));
      scale = Math.max(scale, Math.abs(fd(w, k)));
    }
    for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(gb[k] - fd(b, k)));
    expect(scale).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-4 * Math.max(1, scale) + 1e-5);
  });
});
