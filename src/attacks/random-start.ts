/** Random starting points inside the ε-ball, drawn from the attack's seeded generator. */
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, mul, sub } from '../ops/binary.js';
import { rand, randn, uniform } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import { affine, log, powScalar, sign } from '../ops/unary.js';
import { clipToImage, normalizePerSample, type Norm } from './steps.js';

/**
 * L1: uniform in the ball — with E_1..E_{d+1} standard exponentials and random signs s_j,
 * δ_j = ε·s_j·E_j / Σ_{i≤d+1} E_i is uniform in the L1 ball of radius ε (the Dirichlet construction);
 * the clip to [0, 1] only shrinks |δ_j|, so the start stays in the ball.
 * L∞: x + U(−ε, ε) elementwise; L2: uniform in the ball, a Gaussian direction normalised per
 * sample times radius ε·u^{1/d} (d = elements per sample). Clipped to [0, 1].
 */
export function randomStart(x: Tensor, eps: number, n: Norm, generator: Generator): Tensor {
  const o = { generator, dtype: x.dtype, backend: x.backend };
  if (n === 'linf') return clipToImage(add(x, uniform(x.shape, -eps, eps, o)));
  const d = x.size / x.shape[0]!;
  const radiusShape = x.shape.map((s, i) => (i === 0 ? s : 1));
  if (n === 'l1') {
    // −log(1 − U) with U in [0, 1): a finite standard exponential
    const exponential = (shape: readonly number[]) => affine(log(sub(1, rand(shape, o))), -1, 0);
    const e = exponential(x.shape);
    const signs = sign(uniform(x.shape, -1, 1, o));
    const total = add(sum(e, x.shape.map((_, i) => i).slice(1), true), exponential(radiusShape));
    return clipToImage(add(x, affine(div(mul(signs, e), total), eps, 0)));
  }
  const direction = normalizePerSample(randn(x.shape, o), 2);
  const radius = affine(powScalar(rand(radiusShape, o), 1 / d), eps, 0);
  return clipToImage(add(x, mul(direction, radius)));
}
