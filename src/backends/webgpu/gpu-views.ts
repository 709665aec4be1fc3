/**
 * Coalescing strided views for the elementwise kernels: dimensions of size 1 are dropped and
 * neighbouring dimensions merged where every operand steps through them as one (stride[d] =
 * stride[d+1]·shape[d+1] in each). A contiguous tensor of any rank becomes one dimension, a
 * broadcast row over a matrix two, so the kernels' index arithmetic stays short.
 */
export const MAX_RANK = 8;

export interface Coalesced {
  shape: number[];
  /** per operand, strides over `shape` */
  strides: number[][];
}

export function coalesce(shape: readonly number[], operands: readonly (readonly number[])[]): Coalesced {
  const outShape: number[] = [];
  const outStrides: number[][] = operands.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && operands.every((s, k) => outStrides[k]![last] === s[d]! * n);
    if (mergeable) {
      outShape[last] = outShape[last]! * n;
      operands.forEach((s, k) => { outStrides[k]![last] = s[d]!; });
    } else {
      outShape.push(n);
      operands.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: operands.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
