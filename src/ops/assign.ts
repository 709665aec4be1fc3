/** Writing into an existing tensor's storage (running statistics, parameter resets, clipping). */
import type { Tensor } from '../core/tensor.js';
import { OpError } from './util.js';

/** Overwrite target's storage with value's contents (same size and dtype); value is disposed. */
export function assignInPlace(target: Tensor, value: Tensor): void {
  if (target.size !== value.size || target.dtype !== value.dtype) {
    throw new OpError(`assignInPlace: ${target.describe()} cannot take ${value.describe()}`);
  }
  target.backend.assign(target.storage, { shape: [target.size], strides: [1], offset: 0 }, { storage: value.storage, view: { shape: [value.size], strides: [1], offset: 0 } });
  value.dispose();
}
