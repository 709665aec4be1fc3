/**
 * The Gaussian-mixture loss in tfjs-core ops (identity covariance, 'true-class' likelihood), as
 * in docs/gm-loss.md: d_k = ½‖x − μ_k‖² in GEMM form (clamped at 0),
 * z_k = −(1 + m·[k = y])·d_k (m: the margin), L = mean(logsumexp z − z_y) + λ·mean(d_y). TF.js differentiates it;
 * gmgrad runs its fused kernel. Both do the same two N×K×D products in the backward.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Tf } from './tfjs.js';

/** ½‖x_i − μ_k‖² [N, K] */
export function gmDistancesTf(tf: Tf, x: TF.Tensor2D, means: TF.Tensor2D): TF.Tensor2D {
  const xx = tf.sum(tf.square(x), 1, true);
  const mm = tf.reshape(tf.sum(tf.square(means), 1), [1, -1]);
  const xm = tf.matMul(x, means, false, true);
  return tf.mul(tf.relu(tf.sub(tf.add(xx, mm), tf.mul(xm, 2))), 0.5) as TF.Tensor2D;
}

/** GM logits without margin: −d_k */
export function gmLogitsTf(tf: Tf, x: TF.Tensor2D, means: TF.Tensor2D): TF.Tensor2D {
  return tf.neg(gmDistancesTf(tf, x, means));
}

/** scalar mean GM loss; oneHot: float32 [N, K] */
export function gmLossTf(tf: Tf, x: TF.Tensor2D, means: TF.Tensor2D, oneHot: TF.Tensor2D, alpha: number, lambda: number): TF.Scalar {
  const d = gmDistancesTf(tf, x, means);
  const z = tf.neg(tf.mul(d, tf.add(tf.mul(oneHot, alpha), 1)));
  const cls = tf.mean(tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, oneHot), 1)));
  if (lambda === 0) return cls as TF.Scalar;
  const lkd = tf.mean(tf.sum(tf.mul(d, oneHot), 1));
  return tf.add(cls, tf.mul(lkd, lambda)) as TF.Scalar;
}

/** mean softmax cross-entropy of logits [N, K] against one-hot labels */
export function crossEntropyTf(tf: Tf, logits: TF.Tensor2D, oneHot: TF.Tensor2D): TF.Scalar {
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, oneHot), 1))) as TF.Scalar;
}

/** per-sample summed cross-entropy (the attack objective, summed over the batch) */
export function crossEntropySumTf(tf: Tf, logits: TF.Tensor2D, oneHot: TF.Tensor2D): TF.Scalar {
  return tf.sum(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, oneHot), 1))) as TF.Scalar;
}
