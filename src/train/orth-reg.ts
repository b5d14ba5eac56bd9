/**
 * The orthogonality penalty of CapVector's downstream finetune:
 *   L_orth = λ · Σ_l penalty(⟨Δ_l, γ_l⟩),   Δ = θ − θ_meta,  γ = θ_aux − θ_sft.
 *
 * The paper's exact normalisation is not public, so three variants are offered:
 *   'dot'  — the raw inner product (signed; it rewards anti-alignment, unbounded below),
 *   'abs'  — |⟨Δ, γ⟩| (O-LoRA's Σ|A_γᵀ A_new| in full-parameter form; scale-dependent),
 *   'cos2' — ⟨Δ, γ⟩² / (|Δ|²|γ|² + ε), the squared cosine.
 * and two scopes: per tensor (one term per named tensor, summed) or whole model (one inner product
 * over the concatenation of all tensors).
 *
 * DEFAULT: 'cos2' per tensor. It is scale-free, so one λ means the same thing for a 1e4-element
 * projector and a 16-element bias and does not grow as Δ grows during training; it is bounded in
 * [0, 1] per tensor; and it penalises exactly the quantity the panel plots live (cos(Δ_l, γ_l)).
 */
import * as tf from '@tensorflow/tfjs';

export type OrthVariant = 'dot' | 'abs' | 'cos2';
export type OrthScope = 'tensor' | 'model';
export const ORTH_VARIANTS: OrthVariant[] = ['cos2', 'abs', 'dot'];
export const ORTH_SCOPES: OrthScope[] = ['tensor', 'model'];

export interface OrthOptions {
  lambda: number;
  variant: OrthVariant;
  scope: OrthScope;
  /** Keeps the cosine defined at Δ = 0 (the first step of every downstream run). */
  eps?: number;
}

export const DEFAULT_ORTH: OrthOptions = { lambda: 1, variant: 'cos2', scope: 'tensor', eps: 1e-12 };

type Named = Record<string, tf.Tensor>;

/**
 * Σ of scalars by pairwise adds. tf.addN over one input per tensor (20+) gives NaN gradients on tfjs's
 * WebGPU backend (seen on SwiftShader), while the same graph is finite on the CPU and WebAssembly backends.
 */
function sum(xs: tf.Scalar[]): tf.Scalar {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Scalar[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0] ?? tf.scalar(0);
}

function term(variant: OrthVariant, dot: tf.Scalar, dd: tf.Scalar, gg: tf.Scalar, eps: number): tf.Scalar {
  if (variant === 'dot') return dot;
  if (variant === 'abs') return tf.abs(dot);
  return tf.div(tf.square(dot), tf.add(tf.mul(dd, gg), eps));
}

/** λ · Σ penalty; differentiable in `theta` (meta and gamma are constants). */
export function orthPenalty(theta: Named, meta: Named, gamma: Named, names: string[], opt: OrthOptions): tf.Scalar {
  const eps = opt.eps ?? 1e-12;
  const dots: tf.Scalar[] = [];
  const dds: tf.Scalar[] = [];
  const ggs: tf.Scalar[] = [];
  for (const n of names) {
    const delta = tf.sub(theta[n], meta[n]);
    dots.push(tf.sum(tf.mul(delta, gamma[n])));
    dds.push(tf.sum(tf.square(delta)));
    ggs.push(tf.sum(tf.square(gamma[n])));
  }
  let total: tf.Scalar;
  if (opt.scope === 'model') {
    total = term(opt.variant, sum(dots), sum(dds), sum(ggs), eps);
  } else {
    total = sum(names.map((_, i) => term(opt.variant, dots[i], dds[i], ggs[i], eps)));
  }
  return tf.mul(total, opt.lambda);
}

/**
 * cos(Δ_l, γ_l) per tensor, and for the whole model as the last entry, in one readback.
 * A tensor with Δ_l = 0 or γ_l = 0 reports 0.
 */
export async function cosineByTensor(theta: Named, meta: Named, gamma: Named, names: string[]): Promise<Float64Array> {
  const packed = tf.tidy(() => {
    const rows = names.map((n) => {
      const delta = tf.sub(theta[n], meta[n]);
      return tf.stack([tf.sum(tf.mul(delta, gamma[n])), tf.sum(tf.square(delta)), tf.sum(tf.square(gamma[n]))]);
    });
    return tf.stack(rows);
  });
  const v = await packed.data();
  packed.dispose();
  const out = new Float64Array(names.length + 1);
  let dot = 0;
  let dd = 0;
  let gg = 0;
  names.forEach((_, i) => {
    const [d, a, b] = [v[i * 3], v[i * 3 + 1], v[i * 3 + 2]];
    out[i] = a > 0 && b > 0 ? d / Math.sqrt(a * b) : 0;
    dot += d;
    dd += a;
    gg += b;
  });
  out[names.length] = dd > 0 && gg > 0 ? dot / Math.sqrt(dd * gg) : 0;
  return out;
}
