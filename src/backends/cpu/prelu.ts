/**
 * PReLU of x viewed as [outer, c, inner] (channel ch's values are the runs
 * x[(o·c + ch)·inner .. + inner)), slope weight[shared ? 0 : ch]. Exactly what ops/nn.ts composes
 * (relu(x) − w·relu(−x)): y = x > 0 ? x : s·x rounded once; dx = x > 0 ? g : x < 0 ? s·g : 0
 * (relu'(0) = 0, and 0 at NaN); the slopes' gradient Σ g·min(x, 0) summed in float64, each product rounded to
 * the storage's dtype first as the composition's are.
 */
import type { PreluParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';

export function preluInto(x: TypedArray, weight: TypedArray, out: TypedArray, p: PreluParams): void {
  const { outer, c, inner, shared } = p;
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const s = weight[shared ? 0 : ch]!, base = (o * c + ch) * inner;
      for (let i = base; i < base + inner; i++) {
        const v = x[i]!;
        out[i] = v > 0 ? v : s * v;
      }
    }
  }
}

/**
 * dx and the per-slope sums into dWeight ([shared ? 1 : c]); `round` rounds a product to the
 * storage's dtype (Math.fround for float32)
 */
export function preluBackwardInto(g: TypedArray, x: TypedArray, weight: TypedArray, dx: TypedArray, dWeight: TypedArray,
  p: PreluParams, round: (v: number) => number): void {
  const { outer, c, inner, shared } = p;
  const sums = new Float64Array(c);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const s = weight[shared ? 0 : ch]!, base = (o * c + ch) * inner;
      let sum = 0;
      for (let i = base; i < base + inner; i++) {
        const v = x[i]!, gv = g[i]!;
        dx[i] = v > 0 ? gv : v < 0 ? s * gv : 0;
        sum += round(gv * Math.min(v, 0));
      }
      sums[ch] = sums[ch]! + sum;
    }
  }
  if (shared) dWeight[0] = sums.reduce((a, v) => a + v, 0);
  else dWeight.set(sums);
}
