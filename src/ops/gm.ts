/**
 * The Gaussian-mixture loss (Wan et al. 2018/2020, see docs in ../shared/docs/gm-loss.md) as one
 * fused op per backend, and a composed, differentiable distance function for attacks/detection.
 */
import type { GMLikelihood, GMLossParams } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { add, div, sub } from './binary.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { affine, exp, square } from './unary.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

export interface GMLossOptions {
  /** classification margin on the true class (training only), default 0 */
  alpha?: number;
  /** likelihood weight λ, default 0 */
  lambda?: number;
  likelihood?: GMLikelihood;
  /** diagonal covariance: log-variances [K, D] (a parameter); identity when absent */
  logVar?: Tensor | null;
}

export interface GMLossResult {
  /** scalar mean loss L_cls + λ·L_lkd (differentiable in features, means, logVar) */
  loss: Tensor;
  /** [N, K] logits with the margin applied (no gradient: use gmLogits for a differentiable version) */
  logits: Tensor;
  /** [N] int32 argmin_k d_k */
  prediction: Tensor;
  /** [N] detection score min_k d_k (half the squared distance to the nearest mean for identity covariance) */
  score: Tensor;
}

export function gmLoss(features: Tensor, means: Tensor, labels: Tensor, options: GMLossOptions = {}): GMLossResult {
  checkTensor('gmLoss', features, 'features');
  checkTensor('gmLoss', means, 'means');
  checkTensor('gmLoss', labels, 'labels');
  checkFloat('gmLoss', features);
  checkSameDType('gmLoss', features, means);
  const logVar = options.logVar ?? null;
  const backend = logVar ? sameBackend('gmLoss', features, means, labels, logVar) : sameBackend('gmLoss', features, means, labels);
  if (features.rank !== 2 || means.rank !== 2 || features.shape[1] !== means.shape[1]) {
    throw new OpError(`gmLoss: expected features [N, D] and means [K, D], got ${formatShape(features.shape)} and ${formatShape(means.shape)}`);
  }
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== features.shape[0]) {
    throw new OpError(`gmLoss: labels must be int32 [${features.shape[0]}], got ${labels.dtype} ${formatShape(labels.shape)}`);
  }
  if (logVar && (logVar.shape[0] !== means.shape[0] || logVar.shape[1] !== means.shape[1] || logVar.rank !== 2)) {
    throw new OpError(`gmLoss: logVar ${formatShape(logVar.shape)} must match means ${formatShape(means.shape)}`);
  }
  const [n, d] = features.shape as [number, number];
  const k = means.shape[0]!;
  if (n === 0) throw new OpError('gmLoss: empty batch (N = 0)');
  const alpha = options.alpha ?? 0, lambda = options.lambda ?? 0;
  if (!(alpha >= 0) || !(lambda >= 0)) throw new OpError(`gmLoss: alpha and lambda must be non-negative numbers, got alpha=${alpha}, lambda=${lambda}`);
  const likelihood = options.likelihood ?? 'true-class';
  if (!['true-class', 'true-class-sq', 'all-class'].includes(likelihood)) {
    throw new OpError(`gmLoss: likelihood must be 'true-class', 'true-class-sq' or 'all-class', got '${likelihood}'`);
  }
  const p: GMLossParams = { n, k, d, alpha, lambda, likelihood, diagonal: logVar !== null };
  const r = backend.gmForward(features.storage, means.storage, logVar?.storage ?? null, labels.storage, p);
  const lse = fromStorage(r.logSumExp, [n], features.dtype);
  const loss = fromStorage(r.loss, [], features.dtype);
  const inputs = logVar ? [features, means, logVar] : [features, means];
  record('gmLoss', inputs, loss, (g, needs) => {
    const b = g.backend.gmBackward(features.storage, means.storage, logVar?.storage ?? null, labels.storage, lse.storage, g.storage, p);
    const dx = fromStorage(b.dx, features.shape, features.dtype);
    const dm = fromStorage(b.dMeans, means.shape, means.dtype);
    const dv = b.dLogVar ? fromStorage(b.dLogVar, means.shape, means.dtype) : null;
    return [needs[0] ? dx : null, needs[1] ? dm : null, ...(logVar ? [needs[2] ? dv : null] : [])];
  });
  if (!loss.gradNode) lse.dispose();
  return {
    loss,
    logits: fromStorage(r.logits, [n, k], features.dtype),
    prediction: fromStorage(r.prediction, [n], 'int32'),
    score: fromStorage(r.score, [n], features.dtype),
  };
}

/**
 * Differentiable distances d_k(x) = ½ (x − μ_k)ᵀ Σ_k⁻¹ (x − μ_k) → [N, K], composed from ops
 * (used by attacks' feature-space objectives and the detectors).
 */
export function gmDistances(features: Tensor, means: Tensor, logVar?: Tensor | null): Tensor {
  checkTensor('gmDistances', features, 'features');
  checkTensor('gmDistances', means, 'means');
  if (features.rank !== 2 || means.rank !== 2 || features.shape[1] !== means.shape[1]) {
    throw new OpError(`gmDistances: expected features [N, D] and means [K, D], got ${formatShape(features.shape)} and ${formatShape(means.shape)}`);
  }
  const [n, d] = features.shape as [number, number];
  const k = means.shape[0]!;
  const diff = sub(reshape(features, [n, 1, d]), reshape(means, [1, k, d]));
  let sq = square(diff);
  if (logVar) sq = div(sq, reshape(exp(logVar), [1, k, d]));
  return affine(sum(sq, -1), 0.5, 0);
}

/** Logits z_k = −½ log|Σ_k| − d_k (no margin): what the GM model predicts with. Differentiable. */
export function gmLogits(features: Tensor, means: Tensor, logVar?: Tensor | null): Tensor {
  const dist = gmDistances(features, means, logVar);
  if (!logVar) return affine(dist, -1, 0);
  const halfLogDet = affine(sum(logVar, -1), 0.5, 0);
  return affine(add(dist, reshape(halfLogDet, [1, -1])), -1, 0);
}

