/**
 * Training batch norm followed by a residual add and a ReLU, out = relu(batchNorm(x) + residual),
 * in float64 per element (rounded once to the storage's dtype), with the statistics of
 * batchNormForwardInto; and its gradient: g' = g·[out > 0] (ReLU's gradient read off the output,
 * +0 where out <= 0 or is NaN, as the reluBackward kernel), then batch norm's gradient of g'.
 */
import type { BatchNormParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { batchNormBackwardInto, batchNormForwardInto } from './batch-norm.js';

/** relu(v) with NaN passed through, as the relu unary */
const relu = (v: number) => (v > 0 || v !== v ? v : 0);

export function batchNormReluForwardInto(x: TypedArray, residual: TypedArray | null, weight: TypedArray | null, bias: TypedArray | null,
  out: TypedArray, mean: TypedArray, variance: TypedArray, p: BatchNormParams): void {
  // the statistics as batchNormForwardInto stores them; out is then recomputed from them in float64
  batchNormForwardInto(x, weight, bias, out, mean, variance, p);
  const { outer, c, inner, varianceEpsilon } = p;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch]!, scale = (weight ? weight[ch]! : 1) / Math.sqrt(variance[ch]! + varianceEpsilon), shift = bias ? bias[ch]! : 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * c + ch) * inner;
      for (let i = base; i < base + inner; i++) out[i] = relu((x[i]! - mu) * scale + shift + (residual ? residual[i]! : 0));
    }
  }
}

/** dResidual (when not null) receives g'; gm is a scratch array of x's size for g' when dResidual is null */
export function batchNormReluBackwardInto(g: TypedArray, out: TypedArray, x: TypedArray, mean: TypedArray, variance: TypedArray,
  weight: TypedArray | null, dx: TypedArray, dWeight: TypedArray, dBias: TypedArray, gm: TypedArray, p: BatchNormParams): void {
  for (let i = 0; i < gm.length; i++) gm[i] = out[i]! > 0 ? g[i]! : 0;
  batchNormBackwardInto(gm, x, mean, variance, weight, dx, dWeight, dBias, p);
}
