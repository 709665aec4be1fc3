/** Small dense float64 linear algebra on the host (row-major n×n), for fitting detectors. */

/** Lower-triangular L with A = L·Lᵀ, or null when A is not (numerically) positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  return l;
}

/** L⁻¹ of a lower-triangular L (forward substitution on the identity); lower-triangular. */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k]! * inv[k * n + c]!;
      inv[i * n + c] = s / l[i * n + i]!;
    }
  }
  return inv;
}

/** Aᵀ·A for a row-major n×n A */
export function gram(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[k * n + i]! * a[k * n + j]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

export interface RidgeCholesky {
  /** L with Σ + λI = L·Lᵀ */
  l: Float64Array;
  /** the λ actually added */
  ridge: number;
}

/**
 * Cholesky of Σ + λI with λ = ridge·(trace Σ / n) (scale-free), growing λ ×10 until Σ + λI is
 * positive definite (rank-deficient feature covariances are common: ReLU features, D > N).
 */
export function choleskyWithRidge(sigma: Float64Array, n: number, ridge: number): RidgeCholesky {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += sigma[i * n + i]!;
  const scale = trace > 0 ? trace / n : 1;
  let lambda = ridge * scale;
  for (let attempt = 0; attempt < 12; attempt++) {
    const a = Float64Array.from(sigma);
    for (let i = 0; i < n; i++) a[i * n + i]! += lambda;
    const l = cholesky(a, n);
    if (l) return { l, ridge: lambda };
    lambda = lambda > 0 ? lambda * 10 : 1e-12 * scale;
  }
  throw new Error(`choleskyWithRidge: the ${n}×${n} covariance stays indefinite even with ridge ${lambda} (does it contain NaN or Inf?)`);
}
