/**
 * Training-mode batch normalisation of x viewed as [outer, c, inner], per channel, in float64:
 * two passes for the statistics (the mean, then the mean squared deviation, which cannot go
 * negative as E[x²] − E[x]² can), one to normalise. Channel ch's values are the runs
 * x[(o·c + ch)·inner .. + inner) for o < outer. The normalisation and the gradient both use the
 * statistics as stored (rounded to the storage's dtype), so the two agree with each other.
 */
import type { BatchNormParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';

export function batchNormForwardInto(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  out: TypedArray, mean: TypedArray, variance: TypedArray, p: BatchNormParams): void {
  const { outer, c, inner, varianceEpsilon } = p;
  const count = outer * inner;
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) s += x[base + i]!;
    }
    mean[ch] = s / count;
    const mu = mean[ch]!;
    let q = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) { const d = x[base + i]! - mu; q += d * d; }
    }
    variance[ch] = q / count;
    const scale = (weight ? weight[ch]! : 1) / Math.sqrt(variance[ch]! + varianceEpsilon);
    const shift = bias ? bias[ch]! : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = (x[base + i]! - mu) * scale + shift;
    }
  }
}

/**
 * x̂ = (x − mean)/√(var + varianceEpsilon); dBias = Σ dy, dWeight = Σ dy·x̂,
 * dx = weight/√(var + varianceEpsilon) · (dy − dBias/M − x̂·dWeight/M), M = outer·inner.
 */
export function batchNormBackwardInto(dy: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  weight: TypedArray | null, dx: TypedArray, dWeight: TypedArray, dBias: TypedArray, p: BatchNormParams): void {
  const { outer, c, inner, varianceEpsilon } = p;
  const count = outer * inner;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch]!, invStd = 1 / Math.sqrt(variance[ch]! + varianceEpsilon);
    let sdy = 0, sdyx = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) {
        const g = dy[base + i]!;
        sdy += g;
        sdyx += g * (x[base + i]! - mu) * invStd;
      }
    }
    dBias[ch] = sdy;
    dWeight[ch] = sdyx;
    const k = (weight ? weight[ch]! : 1) * invStd, a = sdy / count, b = sdyx / count;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) dx[base + i] = k * (dy[base + i]! - a - (x[base + i]! - mu) * invStd * b);
    }
  }
}
