/** Input gradients of per-sample objectives, leaving every parameter's .grad untouched. */
import { valueAndGrad } from '../core/autograd.js';
import type { Tensor } from '../core/tensor.js';
import { sum } from '../ops/reduce.js';

/**
 * ∇ₓ Σᵢ objective(x)ᵢ. Summing (not averaging) keeps each sample's gradient independent of the
 * batch size, so attacking N images at once equals attacking each alone.
 */
export function inputGradient(objective: (x: Tensor) => Tensor, x: Tensor): Tensor {
  return valueAndGrad((leaf) => sum(objective(leaf)))(x).grads[0]!;
}
