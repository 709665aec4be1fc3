/**
 * The fused Gaussian-mixture loss in float32 on the wasm kernels, with the reference's maths
 * (spec: docs/gm-loss.md). The O(N·K·D) distance and gradient loops are the
 * generated SIMD kernels (kernels/gm.ts); the O(N·K) work per row between them (log-sum-exp,
 * prediction, score, the softmax weights of the backward) is done here in float64, because wasm
 * has no exp or log and this part is a small fraction of the cost.
 *
 * The backward does not get the forward's distances, so it recomputes them with the same kernel:
 * the softmax weights e^{z − lse} then use exactly the distances the forward's lse came from.
 */
import type { GMLossParams } from '../../core/backend.js';
import type { WasmKernels } from './calls/kernel-calls.js';
import { gmRowForward } from '../common/gm-row.js';

export interface GmFloat32Inputs {
  x: Float32Array;
  means: Float32Array;
  logVar: Float32Array | null;
  labels: Int32Array;
}

export interface GmFloat32ForwardOutputs {
  loss: Float32Array;
  logits: Float32Array;
  logSumExp: Float32Array;
  prediction: Int32Array;
  score: Float32Array;
}

export interface GmFloat32BackwardOutputs {
  dx: Float32Array;
  dMeans: Float32Array;
  dLogVar: Float32Array | null;
}

/**
 * 1/s = e^{−logVar} as float32 in the kernels' memory (null for identity: the kernels skip it) and
 * h_k = ½ Σ_j logVar_kj in float64 (zeros for identity). The exponentials are a SIMD kernel:
 * Math.exp on K·D values costs as much as the distances themselves. The caller releases invVar.
 */
function covariance(kernels: WasmKernels, logVar: Float32Array | null, p: GMLossParams) {
  const halfLogDet = new Float64Array(p.k);
  if (!logVar) return { invVar: null, halfLogDet };
  const invVar = kernels.allocF32(p.k * p.d, false);
  kernels.gmInvVarInto(logVar, invVar);
  for (let k = 0; k < p.k; k++) {
    let h = 0;
    for (let j = k * p.d; j < (k + 1) * p.d; j++) h += logVar[j]!;
    halfLogDet[k] = 0.5 * h;
  }
  return { invVar, halfLogDet };
}

export function gmForwardFloat32(kernels: WasmKernels, inp: GmFloat32Inputs, p: GMLossParams, out: GmFloat32ForwardOutputs): void {
  const { n, k: K, d: D } = p;
  const { invVar, halfLogDet } = covariance(kernels, inp.logVar, p);
  // the logits buffer first receives the distances; each row is read, then overwritten with z
  try {
    kernels.gmDistancesInto(inp.x, inp.means, invVar, out.logits, n, K, D);
  } finally {
    if (invVar) kernels.release(invVar);
  }
  const dist = new Float64Array(K), z = new Float64Array(K);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * K;
    for (let k = 0; k < K; k++) dist[k] = out.logits[row + k]!;
    const r = gmRowForward(dist, halfLogDet, inp.labels[i]!, p, z, out.logits, row);
    out.logSumExp[i] = r.lse;
    out.prediction[i] = r.prediction;
    out.score[i] = r.score;
    total += r.loss;
  }
  out.loss[0] = total / n;
}

export function gmBackwardFloat32(kernels: WasmKernels, inp: GmFloat32Inputs, p: GMLossParams,
  logSumExp: ArrayLike<number>, gradLoss: number, out: GmFloat32BackwardOutputs): void {
  const { n, k: K, d: D, margin: m, lambda } = p;
  // the likelihood's weights on d_k (true class / every class) and on h_y, as in the reference
  const lkdTrue = p.likelihood === 'true-class' ? lambda / n : p.likelihood === 'true-class-sq' ? 2 * lambda / n : 0;
  const lkdAll = p.likelihood === 'all-class' ? 2 * lambda / (n * K) : 0;
  const lkdLogDet = p.likelihood === 'all-class' ? 0 : lambda / n;
  const { invVar, halfLogDet } = covariance(kernels, inp.logVar, p);
  // coef first receives the distances, then (in place) the weight ∂L/∂d_ik of each
  const coef = kernels.allocF32(n * K, false);
  const lvBias = invVar ? kernels.allocF32(K, false) : null;
  try {
    kernels.gmDistancesInto(inp.x, inp.means, invVar, coef, n, K, D);
    // Σ_i ∂L/∂h_k: the ½ of it is the part of dLogVar that does not depend on x
    const logDetWeight = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const y = inp.labels[i]!, lse = logSumExp[i]!, row = i * K;
      for (let k = 0; k < K; k++) {
        const isTrue = k === y;
        const margin = isTrue ? 1 + m : 1;
        const zk = -halfLogDet[k]! - margin * coef[row + k]!;
        const g = (Math.exp(zk - lse) - (isTrue ? 1 : 0)) / n;
        coef[row + k] = gradLoss * (-margin * g + (isTrue ? lkdTrue : 0) + lkdAll);
        logDetWeight[k] += gradLoss * (-g + (isTrue ? lkdLogDet : 0));
      }
    }
    if (lvBias) for (let k = 0; k < K; k++) lvBias[k] = 0.5 * logDetWeight[k]!;
    kernels.gmGradInto(inp.x, inp.means, invVar, coef, lvBias, out.dx, out.dMeans, out.dLogVar, n, K, D);
  } finally {
    for (const a of [coef, lvBias, invVar]) if (a) kernels.release(a);
  }
}
