/**
 * The per-sample row of the GM loss forward in float64 (docs/gm-loss.md), given the sample's K
 * distances: the logits with the margin, the log-sum-exp, the prediction, the score and the loss
 * term.
 */
import type { GMLossParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';

/**
 * The per-sample part of the forward given the sample's distances `dist` (K of them): writes the
 * logits z_k into logits[row .. row + K), and returns the log-sum-exp, the prediction (first index
 * on ties), the score min_k d_k and the sample's loss term. Shared by the host backends (the CPU reference, the WebAssembly float32 path).
 */
export function gmRowForward(dist: Float64Array, halfLogDet: Float64Array, y: number, p: GMLossParams,
  z: Float64Array, logits: TypedArray, row: number): { lse: number; prediction: number; score: number; loss: number } {
  const K = p.k;
  let zMax = -Infinity, best = 0, bestCrit = Infinity, minDist = Infinity, allSq = 0;
  for (let k = 0; k < K; k++) {
    const d = dist[k]!;
    const zk = -halfLogDet[k]! - (k === y ? 1 + p.margin : 1) * d;
    z[k] = zk;
    if (zk > zMax) zMax = zk;
    // strict comparisons: the first index wins ties
    const crit = d + halfLogDet[k]!;
    if (crit < bestCrit) { bestCrit = crit; best = k; }
    if (d < minDist) minDist = d;
    allSq += 2 * d;
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    sum += Math.exp(z[k]! - zMax);
    logits[row + k] = z[k]!;
  }
  const lse = zMax + Math.log(sum);
  let lkd: number;
  switch (p.likelihood) {
    case 'true-class': lkd = dist[y]! + halfLogDet[y]!; break;
    case 'true-class-sq': lkd = 2 * dist[y]! + halfLogDet[y]!; break;
    case 'all-class': lkd = allSq / K; break;
  }
  return { lse, prediction: best, score: minDist, loss: lse - z[y]! + p.lambda * lkd };
}

