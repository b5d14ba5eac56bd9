/**
 * The capability probe: a linear readout (ridge regression, closed form) fitted on the frozen
 * intermediate visual tokens of a fixed set of probe scenes, predicting every object's (x, y) —
 * the held-out colour's too. Its error on a second, disjoint set of scenes says whether "where is each
 * object" is in the weights, which success rates (noisy, indirect) cannot.
 *
 * The ridge is solved in its dual form, W = Xᵀ(XXᵀ + λI)⁻¹Y on centred data, which equals the primal
 * (XᵀX + λI)⁻¹XᵀY but needs an n×n system (n scenes) instead of a features×features one. λ is relative,
 * ρ·trace(XXᵀ)/n, so checkpoints whose features differ in scale are regularised alike.
 */
import * as tf from '@tensorflow/tfjs';
import { COLORS, IMAGE_SIZE, probeScene, render, type Color } from './env';
import { visualTokens, type Vars } from './policy';
import { IMAGE_ELEMS } from './tasks';

export interface Ridge {
  /** Predictions [rows × outputs] for feature rows [rows × features]. */
  predict(x: Float64Array, rows: number): Float64Array;
}

/** Cholesky solve of the symmetric positive definite system A·X = B in place (A n×n, B n×m). */
function choleskySolve(a: Float64Array, b: Float64Array, n: number, m: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error('ridge: the system is not positive definite');
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
  }
  return x;
}

/**
 * Fits ridge regression with an unpenalised intercept: features x [n × f], targets y [n × m],
 * λ = rho · trace(XcXcᵀ)/n (Xc centred). Returns the fitted readout.
 */
export function fitRidge(x: Float64Array, y: Float64Array, n: number, f: number, m: number, rho: number): Ridge {
  const mx = new Float64Array(f);
  const my = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) mx[j] += x[i * f + j] / n;
    for (let j = 0; j < m; j++) my[j] += y[i * m + j] / n;
  }
  const xc = new Float64Array(n * f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) xc[i * f + j] = x[i * f + j] - mx[j];
  const k = new Float64Array(n * n);
  let trace = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t < f; t++) s += xc[i * f + t] * xc[j * f + t];
      k[i * n + j] = s;
      k[j * n + i] = s;
    }
    trace += k[i * n + i];
  }
  // A feature-free design (all rows equal) still gets a defined, intercept-only readout.
  const lambda = rho * (trace > 0 ? trace / n : 1);
  for (let i = 0; i < n; i++) k[i * n + i] += lambda;
  const yc = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) yc[i * m + j] = y[i * m + j] - my[j];
  const dual = choleskySolve(k, yc, n, m);
  // Primal weights W = Xcᵀ·A [f × m], so predictions cost rows·f·m.
  const w = new Float64Array(f * m);
  for (let i = 0; i < n; i++) for (let t = 0; t < f; t++) for (let j = 0; j < m; j++) w[t * m + j] += xc[i * f + t] * dual[i * m + j];
  return {
    predict(q, rows) {
      const out = new Float64Array(rows * m);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < m; j++) {
          let s = my[j];
          for (let t = 0; t < f; t++) s += (q[r * f + t] - mx[t]) * w[t * m + j];
          out[r * m + j] = s;
        }
      }
      return out;
    },
  };
}

export interface ProbeError {
  /** RMSE of (x, y) over every colour, table units (the table is [-1, 1]²). */
  mean: number;
  /** RMSE for the held-out colour alone. */
  heldOut: number;
  byColor: Record<Color, number>;
}

export interface Probe {
  measure(p: Vars | Record<string, tf.Tensor>): Promise<ProbeError>;
}

/** The probe's fixed scenes: seeds far from every training and evaluation seed. */
export const PROBE_FIT_SEED = 0x70be0000;
export const PROBE_TEST_SEED = 0x70be8000;

function scenes(seedBase: number, count: number): { images: Float32Array; targets: Float64Array } {
  const images = new Float32Array(count * IMAGE_ELEMS);
  const targets = new Float64Array(count * COLORS.length * 2);
  for (let i = 0; i < count; i++) {
    const s = probeScene(seedBase + i);
    render(s, images, i * IMAGE_ELEMS);
    COLORS.forEach((c, k) => {
      const b = s.blocks.find((q) => q.color === c)!;
      targets[(i * COLORS.length + k) * 2] = b.x;
      targets[(i * COLORS.length + k) * 2 + 1] = b.y;
    });
  }
  return { images, targets };
}

/** The frozen visual tokens of `count` images, flattened per image, as float64 rows. */
export async function tokenFeatures(p: Vars | Record<string, tf.Tensor>, images: Float32Array, count: number): Promise<{ x: Float64Array; features: number }> {
  const t = tf.tidy(() => {
    const tok = visualTokens(p, tf.tensor4d(images, [count, IMAGE_SIZE, IMAGE_SIZE, 3]));
    return tf.reshape(tok, [count, -1]);
  });
  const data = await t.data();
  const features = t.shape[1] as number;
  t.dispose();
  return { x: Float64Array.from(data), features };
}

/** A probe over `fit` + `test` fixed scenes; `heldOut` is the colour no training task names before downstream. */
export function makeProbe(opts: { fit?: number; test?: number; rho?: number; heldOut?: Color } = {}): Probe {
  const fitN = opts.fit ?? 256;
  const testN = opts.test ?? 256;
  const rho = opts.rho ?? 1e-2;
  const heldOut = opts.heldOut ?? 'yellow';
  const fitSet = scenes(PROBE_FIT_SEED, fitN);
  const testSet = scenes(PROBE_TEST_SEED, testN);
  const m = COLORS.length * 2;
  return {
    async measure(p) {
      const a = await tokenFeatures(p, fitSet.images, fitN);
      const b = await tokenFeatures(p, testSet.images, testN);
      // Diverged weights (NaN/Inf features) have no readout: report the error as unknown, not a failure.
      if (!a.x.every(Number.isFinite) || !b.x.every(Number.isFinite)) {
        return { mean: NaN, heldOut: NaN, byColor: Object.fromEntries(COLORS.map((c) => [c, NaN])) as Record<Color, number> };
      }
      const pred = fitRidge(a.x, fitSet.targets, fitN, a.features, m, rho).predict(b.x, testN);
      const sq = new Float64Array(COLORS.length);
      for (let i = 0; i < testN; i++) for (let j = 0; j < m; j++) sq[j >> 1] += (pred[i * m + j] - testSet.targets[i * m + j]) ** 2;
      const byColor = Object.fromEntries(COLORS.map((c, k) => [c, Math.sqrt(sq[k] / (2 * testN))])) as Record<Color, number>;
      const mean = Math.sqrt(sq.reduce((s, v) => s + v, 0) / (m * testN));
      return { mean, heldOut: byColor[heldOut], byColor };
    },
  };
}
