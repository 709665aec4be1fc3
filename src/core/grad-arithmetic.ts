/**
 * The little arithmetic the autodiff core itself needs (seeding the output gradient, summing two
 * gradients of one tensor, copies for leaves), done directly with the backend primitives so that
 * src/core depends on no op file.
 */
import type { DType } from './dtype.js';
import { contiguousStrides, formatShape, shapesEqual } from './shape.js';
import { fromStorage, Tensor } from './tensor.js';

const flatView = (t: Tensor) => ({ storage: t.storage, view: { shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 } });

/** a + b for two gradients of one shape and dtype */
export function addGradients(a: Tensor, b: Tensor): Tensor {
  if (!shapesEqual(a.shape, b.shape) || a.dtype !== b.dtype) {
    throw new Error(`backward: cannot add gradients ${a.dtype} ${formatShape(a.shape)} and ${b.dtype} ${formatShape(b.shape)}`);
  }
  return fromStorage(a.backend.binary('add', flatView(a), flatView(b), a.shape), a.shape, a.dtype);
}

export function filledLike(t: Tensor, value: number): Tensor {
  return fromStorage(t.backend.fill(t.size, t.dtype, value), t.shape, t.dtype);
}

/** a new tensor sharing t's storage, without its graph */
export function detached(t: Tensor): Tensor {
  return new Tensor(t.shareStorage(), t.shape, t.dtype);
}

/** a copy of t in `dtype` (always a new storage) */
export function copyAs(t: Tensor, dtype: DType): Tensor {
  const storage = dtype === t.dtype ? t.backend.copy(flatView(t)) : t.backend.cast(t.storage, dtype);
  return fromStorage(storage, t.shape, dtype);
}
