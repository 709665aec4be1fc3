/**
 * Training-mode batch normalisation of x viewed as [outer, c, inner], per channel, in float64:
 * two passes for the statistics (the mean, then the mean squared deviation, which cannot go
 * negative as E[x²] − E[x]² can), one to normalise. Channel ch's values are the runs
 * x[(o·c + ch)·inner .. + inner) for o < outer. The normalisation and the gradient both use the
 * statistics as stored (rounded to the storage's dtype), so the two agree with each other.
 */
import type { BatchNormParams, Storage } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { fail } from './checks.js';

/**
 * Validates a batch-norm call (every backend's; `failWith` throws the backend's own error type):
 * x float [outer·c·inner], `sameSize` arguments like x, `channelArgs` [c] of x's dtype (null:
 * absent).
 */
export function checkBatchNorm(kernel: string, x: Storage, channelArgs: Array<[string, Storage | null]>, p: BatchNormParams,
  sameSize: Array<[string, Storage]> = [], failWith: (kernel: string, message: string) => never = fail): void {
  for (const [name, v] of [['outer', p.outer], ['c', p.c], ['inner', p.inner]] as const) {
    if (!Number.isInteger(v) || v < 0) failWith(kernel, `${name} must be a non-negative integer, got ${v}`);
  }
  if (!(p.eps > 0)) failWith(kernel, `eps must be a positive number, got ${p.eps}`);
  if (p.outer * p.inner === 0) failWith(kernel, `no values per channel (outer·inner = ${p.outer}·${p.inner})`);
  if (x.dtype === 'int32') failWith(kernel, 'x must be float32 or float64, got int32');
  const size = (name: string, s: Storage, expected: number, formula: string) => {
    if (s.size !== expected) failWith(kernel, `${name} has ${s.size} elements, expected ${expected} (${formula})`);
  };
  const dtype = (name: string, s: Storage) => {
    if (s.dtype !== x.dtype) failWith(kernel, `${name} is ${s.dtype} but x is ${x.dtype}`);
  };
  size('x', x, p.outer * p.c * p.inner, `outer·c·inner = ${p.outer}·${p.c}·${p.inner}`);
  for (const [name, s] of sameSize) { dtype(name, s); size(name, s, x.size, 'the size of x'); }
  for (const [name, s] of channelArgs) {
    if (!s) continue;
    dtype(name, s);
    size(name, s, p.c, 'c');
  }
}

export function batchNormForwardInto(x: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
  out: TypedArray, mean: TypedArray, variance: TypedArray, p: BatchNormParams): void {
  const { outer, c, inner, eps } = p;
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
    const scale = (weight ? weight[ch]! : 1) / Math.sqrt(variance[ch]! + eps);
    const shift = bias ? bias[ch]! : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = (x[base + i]! - mu) * scale + shift;
    }
  }
}

/**
 * x̂ = (x − mean)/√(var + eps); dBias = Σ dy, dWeight = Σ dy·x̂,
 * dx = weight/√(var + eps) · (dy − dBias/M − x̂·dWeight/M), M = outer·inner.
 */
export function batchNormBackwardInto(dy: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  weight: TypedArray | null, dx: TypedArray, dWeight: TypedArray, dBias: TypedArray, p: BatchNormParams): void {
  const { outer, c, inner, eps } = p;
  const count = outer * inner;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch]!, invStd = 1 / Math.sqrt(variance[ch]! + eps);
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
