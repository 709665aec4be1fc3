/** Element types. float64 exists for gradient checks on the CPU reference; int32 for labels and indices. */
export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

export function typedArrayFor(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
}

export function toTypedArray(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = typedArrayFor(dtype, values.length);
  out.set(values as ArrayLike<number>);
  return out;
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  return 'int32';
}
