/** The task and auxiliary losses (the orthogonality penalty lives in orth-reg.ts). */
import * as tf from '@tensorflow/tfjs';

/** Behaviour cloning: mean squared error between predicted and expert actions. */
export function actionLoss(pred: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target)));
}

/**
 * Spatial-forcing-like alignment: 1 − cos(head(visual tokens), privileged 3D facts), averaged over
 * the batch. Cosine, not MSE, as in the paper: it aligns directions and leaves scale to the network.
 */
export function cosineAlignLoss(pred: tf.Tensor2D, target: tf.Tensor2D, eps = 1e-8): tf.Scalar {
  const dot = tf.sum(tf.mul(pred, target), 1);
  // sqrt(Σx² + eps) rather than tf.norm: its gradient stays finite at a zero vector.
  const norm = (t: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(t), 1), eps));
  return tf.mean(tf.sub(1, tf.div(dot, tf.mul(norm(pred), norm(target)))));
}
