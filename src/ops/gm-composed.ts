/**
 * The GM loss forward and backward composed from primitives: the definition the fused
 * gmForward/gmBackward kernels are checked against, and what runs on a backend without them.
 * Per sample i with label y, class k (s = e^{logVar}; identity: s = 1, logVar = 0):
 *   d_k = ½ Σ_j (x_j − μ_kj)²/s_kj,  h_k = ½ Σ_j logVar_kj,  z_k = −h_k − (1 + m·[k = y])·d_k
 *   L_i = logsumexp_k z_k − z_y + λ·lkd_i,  lkd_i = d_y + h_y | 2·d_y + h_y | (1/K) Σ_k 2·d_k
 * and the loss is mean_i L_i. A label outside [0, K) makes its sample's loss and gradients NaN.
 * The distances are summed as Σ (x − μ)² over an [N, K, D] broadcast (no ‖x‖² − 2x·μ + ‖μ‖²
 * cancellation).
 */
import type { GMLossParams } from '../core/backend.js';
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { affineRaw, binaryRaw, reduceRaw, reshapeRaw, scalarLike, unaryRaw, whereRaw } from './raw.js';

export interface GmForwardTensors { loss: Tensor; logits: Tensor; logSumExp: Tensor; prediction: Tensor; score: Tensor }
export interface GmBackwardTensors { dx: Tensor; dMeans: Tensor; dLogVar: Tensor | null }

const mul = (a: Tensor, b: Tensor) => binaryRaw('mul', a, b);
const add = (a: Tensor, b: Tensor) => binaryRaw('add', a, b);
const sub = (a: Tensor, b: Tensor) => binaryRaw('sub', a, b);
/** sum over one axis, the axis dropped */
const sumAxis = (t: Tensor, axis: number) => {
  const r = reduceRaw('sum', t, [axis]);
  return reshapeRaw(r, t.shape.filter((_, i) => i !== axis));
};

interface Pieces {
  /** x − μ [n, k, d] */
  diff: Tensor;
  /** 1/s [1, k, d], or null for identity */
  invVar: Tensor | null;
  /** d_k(x_i) [n, k] */
  dist: Tensor;
  /** h_k [1, k] (zeros for identity) */
  halfLogDet: Tensor;
  /** [k = y_i] [n, k] */
  mask: Tensor;
  /** 1 where y_i is a class, NaN elsewhere [n, 1] */
  validRow: Tensor;
}

function pieces(x: Tensor, means: Tensor, logVar: Tensor | null, labels: Tensor, p: GMLossParams): Pieces {
  const { n, k, d } = p;
  const diff = sub(reshapeRaw(x, [n, 1, d]), reshapeRaw(means, [1, k, d]));
  const invVar = logVar ? unaryRaw('exp', affineRaw(reshapeRaw(logVar, [1, k, d]), -1, 0)) : null;
  let sq = unaryRaw('square', diff);
  if (invVar) sq = mul(sq, invVar);
  const dist = affineRaw(sumAxis(sq, 2), 0.5, 0);
  const halfLogDet = logVar ? reshapeRaw(affineRaw(sumAxis(logVar, 1), 0.5, 0), [1, k]) : fromStorage(x.backend.fill(k, x.dtype, 0), [1, k], x.dtype);
  const classes = fromStorage(x.backend.upload(Int32Array.from({ length: k }, (_, i) => i)), [1, k], 'int32');
  const mask = fromStorage(x.backend.cast(binaryRaw('eq', reshapeRaw(labels, [n, 1]), classes).storage, x.dtype), [n, k], x.dtype);
  const hits = reduceRaw('sum', mask, [1]);
  const validRow = whereRaw(binaryRaw('eq', hits, scalarLike(hits, 1)), scalarLike(hits, 1), scalarLike(hits, NaN));
  return { diff, invVar, dist, halfLogDet, mask, validRow };
}

/** z_k = −h_k − (1 + m·[k = y])·d_k */
function logits(q: Pieces, p: GMLossParams): Tensor {
  return sub(affineRaw(q.halfLogDet, -1, 0), mul(q.dist, affineRaw(q.mask, p.margin, 1)));
}

export function composedGmForward(x: Tensor, means: Tensor, logVar: Tensor | null, labels: Tensor, p: GMLossParams): GmForwardTensors {
  return noGrad(() => tidy(() => {
    const q = pieces(x, means, logVar, labels, p);
    const z = logits(q, p);
    const zMax = reduceRaw('max', z, [1]);
    const lse = add(zMax, unaryRaw('log', reduceRaw('sum', unaryRaw('exp', sub(z, zMax)), [1])));
    const pick = (t: Tensor) => reduceRaw('sum', mul(q.mask, t), [1]);
    const dy = pick(q.dist), hy = pick(q.halfLogDet);
    let lkd: Tensor;
    switch (p.likelihood) {
      case 'true-class': lkd = add(dy, hy); break;
      case 'true-class-sq': lkd = add(affineRaw(dy, 2, 0), hy); break;
      case 'all-class': lkd = affineRaw(reduceRaw('sum', q.dist, [1]), 2 / p.k, 0); break;
    }
    const rowLoss = mul(add(sub(lse, pick(z)), affineRaw(lkd, p.lambda, 0)), q.validRow);
    const loss = reshapeRaw(affineRaw(reduceRaw('sum', rowLoss, [0]), 1 / p.n, 0), []);
    // argmin_k (d_k + h_k): the argmax of the no-margin logits (first index on ties)
    const prediction = reshapeRaw(reduceRaw('argmin', add(q.dist, q.halfLogDet), [1]), [p.n]);
    const score = reshapeRaw(reduceRaw('min', q.dist, [1]), [p.n]);
    return { loss, logits: z, logSumExp: reshapeRaw(lse, [p.n]), prediction, score };
  }));
}

/**
 * With g_ik = (p_ik − [k = y])/N (p the softmax of z, from the forward's log-sum-exp), L depends
 * on d_ik with weight cDist = G·(−(1 + m[k = y])·g + [k = y]·lkdTrue + lkdAll) and on h_k with
 * weight cLogDet = G·(−g + [k = y]·lkdLogDet); then ∂d_ik/∂x_i = (x_i − μ_k)/s_k = −∂d_ik/∂μ_k,
 * ∂d_ik/∂logVar_kj = −½ (x_ij − μ_kj)²/s_kj and ∂h_k/∂logVar_kj = ½.
 */
export function composedGmBackward(x: Tensor, means: Tensor, logVar: Tensor | null, labels: Tensor, logSumExp: Tensor,
  gradLoss: Tensor, p: GMLossParams): GmBackwardTensors {
  const { n, k, lambda } = p;
  const lkdTrue = p.likelihood === 'true-class' ? lambda / n : p.likelihood === 'true-class-sq' ? 2 * lambda / n : 0;
  const lkdAll = p.likelihood === 'all-class' ? 2 * lambda / (n * k) : 0;
  const lkdLogDet = p.likelihood === 'all-class' ? 0 : lambda / n;
  return tidy(() => {
    const q = pieces(x, means, logVar, labels, p);
    const probs = unaryRaw('exp', sub(logits(q, p), reshapeRaw(logSumExp, [n, 1])));
    const g = mul(affineRaw(sub(probs, q.mask), 1 / n, 0), q.validRow);
    const G = reshapeRaw(gradLoss, []);
    const cDist = mul(G, add(mul(affineRaw(g, -1, 0), affineRaw(q.mask, p.margin, 1)), affineRaw(q.mask, lkdTrue, lkdAll)));
    const cLogDet = mul(G, add(affineRaw(g, -1, 0), affineRaw(q.mask, lkdLogDet, 0)));
    // t_ikj = cDist_ik·(x_ij − μ_kj)/s_kj
    let t = mul(reshapeRaw(cDist, [n, k, 1]), q.diff);
    if (q.invVar) t = mul(t, q.invVar);
    const dx = sumAxis(t, 1);
    const dMeans = affineRaw(sumAxis(t, 0), -1, 0);
    let dLogVar: Tensor | null = null;
    if (logVar) {
      const fromDist = sumAxis(mul(t, q.diff), 0);
      dLogVar = affineRaw(sub(reshapeRaw(reduceRaw('sum', cLogDet, [0]), [k, 1]), fromDist), 0.5, 0);
    }
    return { dx, dMeans, dLogVar };
  });
}
