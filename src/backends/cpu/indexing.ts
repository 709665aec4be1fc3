/**
 * gather / scatterAdd along the middle axis of [outer, axis, inner] with an int32 index
 * [outer, count, inner]. Indices are checked (KernelChecks.hostIndices) before the output is allocated.
 */
import type { TypedArray } from '../../core/dtype.js';

export interface AxisShape {
  outer: number;
  axis: number;
  inner: number;
  count: number;
}

/** out[o, j, i] = x[o, index[o, j, i], i] */
export function gatherInto(x: TypedArray, index: TypedArray, out: TypedArray, s: AxisShape): void {
  const { outer, axis, inner, count } = s;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const row = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) {
        const k = index[row + i]!;
        out[row + i] = x[(o * axis + k) * inner + i]!;
      }
    }
  }
}

/** acc = zeros[outer, axis, inner]; acc[o, index[o, j, i], i] += src[o, j, i] */
export function scatterAddInto(src: TypedArray, index: TypedArray, acc: TypedArray, s: AxisShape): void {
  const { outer, axis, inner, count } = s;
  acc.fill(0);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const row = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) {
        const k = index[row + i]!;
        acc[(o * axis + k) * inner + i] += src[row + i]!;
      }
    }
  }
}
