/**
 * The few ops the autodiff core itself needs (to seed and accumulate gradients). The op layer
 * registers them when it loads, which keeps src/core free of an import cycle with src/ops.
 */
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

export interface CoreOps {
  add(a: Tensor, b: Tensor): Tensor;
  onesLike(t: Tensor): Tensor;
  zerosLike(t: Tensor): Tensor;
  detach(t: Tensor): Tensor;
  /** convert to dtype; with copy=true always returns a new tensor */
  cast(t: Tensor, dtype: DType, copy?: boolean): Tensor;
}

let registered: CoreOps | null = null;

export function registerCoreOps(o: CoreOps): void {
  registered = o;
}

export function ops(): CoreOps {
  if (!registered) throw new Error('gmgrad: the op layer is not loaded; import from "gmgrad" rather than from its core files');
  return registered;
}
