/**
 * FAB's projection (Croce & Hein 2020, "Minimally distorted adversarial examples with a fast
 * adaptive boundary attack", §3.1): the smallest δ in the Lp norm with w·δ = c inside the box
 * lo ≤ δ ≤ hi (lo ≤ 0 ≤ hi), per sample. With s = sign(c) the solutions are
 *   L2: δ(λ) = clip(λ·s·w, lo, hi)          (KKT of ½‖δ‖₂² on a hyperplane intersected with a box)
 *   L∞: δ(t) = clip(t·s·sign(w), lo, hi)     (push every coordinate as far as the radius t allows)
 * and s·w·δ grows monotonically in λ (t), so the parameter is found by bisection with elementwise
 * ops only. When the box does not reach the hyperplane, the saturated δ (closest approach) is used.
 */
import type { Tensor } from '../core/tensor.js';
import { add, div, ge, maximum, minimum, mul, where } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { abs, affine, clamp, sign } from '../ops/unary.js';

const BISECTION_STEPS = 60;

/**
 * w [N, d], c [N, 1], lo / hi [N, d]: the minimal-norm δ [N, d] with w·δ = c in the box.
 * `norm` 'l2' or 'linf'.
 */
export function projectOnHyperplaneBox(w: Tensor, c: Tensor, lo: Tensor, hi: Tensor, norm: 'l2' | 'linf'): Tensor {
  const s = sign(c);
  const target = abs(c);
  const direction = norm === 'l2' ? mul(w, s) : mul(sign(w), s);
  const at = (p: Tensor) => minimum(maximum(mul(direction, p), lo), hi);
  const reach = (p: Tensor) => mul(sum(mul(at(p), w), 1, true), s);
  // the bracket's upper end: L∞ needs t ≤ 1 (the box is at most 1 wide); L2 grows λ until the
  // hyperplane is reached or every coordinate saturates (2⁶⁰ times the unconstrained λ = |c|/‖w‖²)
  let low = mul(target, 0);
  let high: Tensor;
  if (norm === 'linf') {
    high = affine(low, 1, 1);
  } else {
    high = div(target, clamp(sum(mul(w, w), 1, true), 1e-30, Infinity));
    for (let i = 0; i < BISECTION_STEPS; i++) {
      const short = ge(target, reach(high));
      high = where(short, affine(high, 2, 0), high);
    }
  }
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = affine(add(low, high), 0.5, 0);
    const short = ge(target, reach(mid));
    low = where(short, mid, low);
    high = where(short, high, mid);
  }
  return at(high);
}
