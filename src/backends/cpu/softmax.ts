/**
 * Softmax / log-softmax over rows of x viewed as [outer, inner], in float64. The row maximum is
 * subtracted first, so exp never overflows (logits of ±1e4 are fine) and the largest term is 1.
 * A row holding NaN or +Infinity, or only -Infinity, gives NaN, as in PyTorch.
 */
import type { TypedArray } from '../../core/dtype.js';

export function softmaxInto(x: TypedArray, out: TypedArray, outer: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    const base = o * inner, end = base + inner;
    let max = -Infinity;
    for (let i = base; i < end; i++) {
      const v = x[i]!;
      if (v > max || v !== v) max = v;
      if (max !== max) break;
    }
    let sum = 0;
    for (let i = base; i < end; i++) sum += Math.exp(x[i]! - max);
    if (log) {
      const logSum = Math.log(sum);
      for (let i = base; i < end; i++) out[i] = x[i]! - max - logSum;
    } else {
      for (let i = base; i < end; i++) out[i] = Math.exp(x[i]! - max) / sum;
    }
  }
}
