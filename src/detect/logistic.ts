/** Binary logistic regression on the host (float64): Newton's method with an L2 penalty on the weights. */
import { DetectorError } from './detector.js';
import { cholesky } from './linalg64.js';

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
}

/**
 * Minimise Σᵢ log(1 + exp(−sᵢ·(w·xᵢ + b))) + (λ/2)‖w‖² (sᵢ = ±1 from labels 1/0); rows of x [n·p].
 * Newton steps on (w, b) until the step is below 1e-10 or 100 iterations.
 */
export function fitLogistic(x: Float64Array, labels: ArrayLike<number>, p: number, lambda = 1e-3): LogisticModel {
  const n = labels.length;
  if (x.length !== n * p) throw new DetectorError(`fitLogistic: ${x.length} values for ${n} labels of dimension ${p}`);
  if (n === 0) throw new DetectorError('fitLogistic: no samples');
  const q = p + 1;
  const theta = new Float64Array(q);
  for (let iter = 0; iter < 100; iter++) {
    const grad = new Float64Array(q), hess = new Float64Array(q * q);
    for (let i = 0; i < n; i++) {
      let z = theta[p]!;
      for (let j = 0; j < p; j++) z += theta[j]! * x[i * p + j]!;
      const prob = 1 / (1 + Math.exp(-z));
      const r = prob - (labels[i] ? 1 : 0), w = prob * (1 - prob);
      for (let a = 0; a < q; a++) {
        const xa = a < p ? x[i * p + a]! : 1;
        grad[a]! += r * xa;
        for (let b = 0; b < q; b++) hess[a * q + b]! += w * xa * (b < p ? x[i * p + b]! : 1);
      }
    }
    for (let a = 0; a < q; a++) {
      const reg = a < p ? lambda : 1e-9;
      grad[a]! += a < p ? lambda * theta[a]! : 0;
      hess[a * q + a]! += reg;
    }
    const step = solveSpd(hess, grad, q);
    let size = 0;
    for (let a = 0; a < q; a++) { theta[a]! -= step[a]!; size = Math.max(size, Math.abs(step[a]!)); }
    if (size < 1e-10) break;
  }
  return { weights: theta.slice(0, p), bias: theta[p]! };
}

function solveSpd(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const l = cholesky(a, n);
  if (!l) throw new DetectorError('fitLogistic: the Hessian is not positive definite (are the inputs finite?)');
  const y = new Float64Array(n), out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * out[k]!;
    out[i] = s / l[i * n + i]!;
  }
  return out;
}
