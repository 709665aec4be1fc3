/**
 * The Gaussian-mixture loss (Wan et al. 2018/2020; docs/gm-loss.md) as one op: the backend's fused
 * gmForward/gmBackward where it lists them, else the same maths composed from primitives
 * (gm-composed.ts). Also the differentiable distance and logit functions used by the attacks'
 * feature-space objectives and by the detectors.
 */
import type { GMBackwardResult, GMForwardResult, GMLikelihood, GMLossParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { record } from '../core/autograd.js';
import { GM_LIKELIHOODS } from '../core/kernel-contract.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { add, div, sub } from './binary.js';
import { composedGmBackward, composedGmForward, type GmBackwardTensors, type GmForwardTensors } from './gm-composed.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { affine, exp, square } from './unary.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

export interface GMLossOptions {
  /** classification margin m on the true class (training only): its distance is scaled by 1 + m; default 0 */
  margin?: number;
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
  const margin = options.margin ?? 0, lambda = options.lambda ?? 0;
  if (!(margin >= 0) || !(lambda >= 0)) throw new OpError(`gmLoss: margin and lambda must be non-negative numbers, got margin=${margin}, lambda=${lambda}`);
  const likelihood = options.likelihood ?? 'true-class';
  if (!GM_LIKELIHOODS.includes(likelihood)) {
    throw new OpError(`gmLoss: likelihood must be ${GM_LIKELIHOODS.map((l) => `'${l}'`).join(', ')}, got '${likelihood}'`);
  }
  // labels a host backend can read are checked here, whichever path runs (a GPU gives NaN instead)
  const hostLabels = backend.readSync(labels.storage);
  if (hostLabels) {
    const bad = hostLabels.findIndex((y) => !(y >= 0 && y < k));
    if (bad >= 0) throw new OpError(`gmLoss: label ${hostLabels[bad]} of sample ${bad} is outside [0, ${k})`);
  }
  const p: GMLossParams = { n, k, d, margin, lambda, likelihood, diagonal: logVar !== null };
  const fusedForward = accelerated(backend, 'gmForward');
  const r = fusedForward
    ? wrapForward(fusedForward(features.storage, means.storage, logVar?.storage ?? null, labels.storage, p), p, features.dtype)
    : composedGmForward(features, means, logVar, labels, p);
  const inputs = logVar ? [features, means, logVar] : [features, means];
  record('gmLoss', inputs, r.loss, (g, needs) => {
    const fusedBackward = accelerated(g.backend, 'gmBackward');
    const b = fusedBackward
      ? wrapBackward(fusedBackward(features.storage, means.storage, logVar?.storage ?? null, labels.storage, r.logSumExp.storage, g.storage, p), p, features.dtype)
      : composedGmBackward(features, means, logVar, labels, r.logSumExp, g, p);
    return [needs[0] ? b.dx : null, needs[1] ? b.dMeans : null, ...(logVar ? [needs[2] ? b.dLogVar : null] : [])];
  });
  if (!r.loss.gradNode) r.logSumExp.dispose();
  return { loss: r.loss, logits: r.logits, prediction: r.prediction, score: r.score };
}

function wrapForward(s: GMForwardResult, p: GMLossParams, dtype: Tensor['dtype']): GmForwardTensors {
  return {
    loss: fromStorage(s.loss, [], dtype), logits: fromStorage(s.logits, [p.n, p.k], dtype), logSumExp: fromStorage(s.logSumExp, [p.n], dtype),
    prediction: fromStorage(s.prediction, [p.n], 'int32'), score: fromStorage(s.score, [p.n], dtype),
  };
}

function wrapBackward(s: GMBackwardResult, p: GMLossParams, dtype: Tensor['dtype']): GmBackwardTensors {
  return {
    dx: fromStorage(s.dx, [p.n, p.d], dtype), dMeans: fromStorage(s.dMeans, [p.k, p.d], dtype),
    dLogVar: s.dLogVar ? fromStorage(s.dLogVar, [p.k, p.d], dtype) : null,
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
