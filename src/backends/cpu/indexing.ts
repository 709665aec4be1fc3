/**
 * gather / scatterAdd along the middle axis of [outer, axis, inner] with an int32 index
 * [outer, count, inner]. Indices are checked by checkIndices before the output is allocated.
 */
import type { TypedArray } from '../../core/dtype.js';
import { fail } from './checks.js';

export interface AxisShape {
  outer: number;
  axis: number;
  inner: number;
  count: number;
}

/** Throws (naming the kernel) at the first index outside [0, axis); run before allocating. */
export function checkIndices(kernel: string, index: TypedArray, axis: number): void {
  for (let t = 0; t < index.length; t++) {
    const k = index[t]!;
    if (!(k >= 0 && k < axis)) fail(kernel, `index[${t}] = ${k} is outside [0, ${axis})`);
  }
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
