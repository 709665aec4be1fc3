/** Gradient clipping by global L2 norm (one readback for the norm). */
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { affine, square } from '../ops/unary.js';
import { assignInPlace } from '../ops/assign.js';

/** Scale gradients so their global norm is at most maxNorm; returns the norm before clipping. */
export async function clipGradNorm(params: Tensor[], maxNorm: number): Promise<number> {
  const withGrad = params.filter((p) => p.grad);
  if (withGrad.length === 0) return 0;
  const sq = tidy(() => withGrad.map((p) => sum(square(p.grad!))).reduce((a, b) => add(a, b)));
  const total = Math.sqrt(await sq.item());
  sq.dispose();
  if (total > maxNorm && Number.isFinite(total)) {
    const scale = maxNorm / (total + 1e-6);
    tidy(() => { for (const p of withGrad) assignInPlace(p.grad!, affine(p.grad!, scale, 0)); });
  }
  return total;
}
