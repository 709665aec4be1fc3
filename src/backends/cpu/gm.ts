/**
 * The Gaussian-mixture loss (docs/gm-loss.md), fused forward and backward, in float64.
 *
 * Per sample i with label y, for every class k (s_k = e^{logVar_k}, identity: s = 1, logVar = 0):
 *   d_k = ½ Σ_j (x_j − μ_kj)² / s_kj        h_k = ½ log|Σ_k| = ½ Σ_j logVar_kj
 *   z_k = −h_k − (1 + m·[k = y])·d_k        (the margin m only on the true class)
 *   L_i = logsumexp_k z_k − z_y + λ·lkd_i,  lkd_i = d_y + h_y              ('true-class')
 *                                                   2·d_y + h_y            ('true-class-sq')
 *                                                   (1/K) Σ_k 2·d_k        ('all-class')
 *   L = mean_i L_i.  Prediction argmin_k (d_k + h_k) (= argmin d_k for identity covariance,
 *   = argmax of the no-margin logits otherwise); score min_k d_k. First index on ties.
 *
 * Backward, with g_ik = (p_ik − [k = y_i])/N and p recomputed from the forward's log-sum-exp:
 * L depends on d_ik with weight c_ik = −(1 + m[k = y])·g_ik (+ λ/N, 2λ/N or 2λ/(N·K) from the
 * likelihood) and on h_k with weight e_ik = −g_ik (+ λ/N for the true-class variants). Then
 *   ∂d_ik/∂x_i = (x_i − μ_k)/s_k = −∂d_ik/∂μ_k,  ∂d_ik/∂logVar_kj = −½ (x_ij − μ_kj)²/s_kj,  ∂h_k/∂logVar_kj = ½
 * which for identity covariance is the matrix form of the spec (∂L/∂X = W'·M − rowsum(W')∘X with
 * W' = −c). The distances are summed directly, Σ (x − μ)², not as ‖x‖² − 2x·μ + ‖μ‖², so x ≈ μ
 * does not cancel.
 */
import type { GMLossParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { gmRowForward } from '../common/gm-row.js';

export interface GMInputs {
  x: TypedArray;
  means: TypedArray;
  logVar: TypedArray | null;
  labels: TypedArray;
}

export interface GMForwardOutputs {
  loss: TypedArray;
  logits: TypedArray;
  logSumExp: TypedArray;
  prediction: TypedArray;
  score: TypedArray;
}

export interface GMBackwardOutputs {
  dx: TypedArray;
  dMeans: TypedArray;
  dLogVar: TypedArray | null;
}

/** 1/s (all ones for identity) and h_k = ½ Σ_j logVar_kj */
function covariance(inp: GMInputs, p: GMLossParams): { invVar: Float64Array; halfLogDet: Float64Array } {
  const invVar = new Float64Array(p.k * p.d).fill(1);
  const halfLogDet = new Float64Array(p.k);
  const v = inp.logVar;
  if (v) {
    for (let k = 0; k < p.k; k++) {
      let h = 0;
      for (let j = 0; j < p.d; j++) {
        const lv = v[k * p.d + j]!;
        invVar[k * p.d + j] = Math.exp(-lv);
        h += lv;
      }
      halfLogDet[k] = 0.5 * h;
    }
  }
  return { invVar, halfLogDet };
}

/** dist[k] = d_k(x_i) for one sample */
function distances(inp: GMInputs, p: GMLossParams, invVar: Float64Array, i: number, dist: Float64Array): void {
  const { x, means } = inp;
  const xb = i * p.d;
  for (let k = 0; k < p.k; k++) {
    const mb = k * p.d;
    let s = 0;
    for (let j = 0; j < p.d; j++) {
      const diff = x[xb + j]! - means[mb + j]!;
      s += diff * diff * invVar[mb + j]!;
    }
    dist[k] = 0.5 * s;
  }
}

export function gmForwardInto(inp: GMInputs, p: GMLossParams, out: GMForwardOutputs): void {
  const { invVar, halfLogDet } = covariance(inp, p);
  const dist = new Float64Array(p.k), z = new Float64Array(p.k);
  let total = 0;
  for (let i = 0; i < p.n; i++) {
    distances(inp, p, invVar, i, dist);
    const r = gmRowForward(dist, halfLogDet, inp.labels[i]!, p, z, out.logits, i * p.k);
    out.logSumExp[i] = r.lse;
    out.prediction[i] = r.prediction;
    out.score[i] = r.score;
    total += r.loss;
  }
  out.loss[0] = total / p.n;
}

export function gmBackwardInto(inp: GMInputs, p: GMLossParams, logSumExp: TypedArray, gradLoss: number, out: GMBackwardOutputs): void {
  const { n, k: K, d: D, margin: m, lambda } = p;
  const { x, means, labels } = inp;
  const { invVar, halfLogDet } = covariance(inp, p);
  const dist = new Float64Array(K);
  const dx = new Float64Array(D);
  const dMeans = new Float64Array(K * D);
  const dLogVar = out.dLogVar ? new Float64Array(K * D) : null;
  // the likelihood's weights on d_k (true class / every class) and on h_y
  const lkdTrue = p.likelihood === 'true-class' ? lambda / n : p.likelihood === 'true-class-sq' ? 2 * lambda / n : 0;
  const lkdAll = p.likelihood === 'all-class' ? 2 * lambda / (n * K) : 0;
  const lkdLogDet = p.likelihood === 'all-class' ? 0 : lambda / n;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const lse = logSumExp[i]!;
    distances(inp, p, invVar, i, dist);
    dx.fill(0);
    const xb = i * D;
    for (let k = 0; k < K; k++) {
      const isTrue = k === y;
      const margin = isTrue ? 1 + m : 1;
      const zk = -halfLogDet[k]! - margin * dist[k]!;
      const g = (Math.exp(zk - lse) - (isTrue ? 1 : 0)) / n;
      const cDist = gradLoss * (-margin * g + (isTrue ? lkdTrue : 0) + lkdAll);
      const cLogDet = gradLoss * (-g + (isTrue ? lkdLogDet : 0));
      const mb = k * D;
      for (let j = 0; j < D; j++) {
        const diff = x[xb + j]! - means[mb + j]!;
        const t = cDist * diff * invVar[mb + j]!;
        dx[j] += t;
        dMeans[mb + j] -= t;
        if (dLogVar) dLogVar[mb + j] += 0.5 * (cLogDet - t * diff);
      }
    }
    for (let j = 0; j < D; j++) out.dx[xb + j] = dx[j]!;
  }
  out.dMeans.set(dMeans);
  if (out.dLogVar && dLogVar) out.dLogVar.set(dLogVar);
}
