/** Random starting points inside the ε-ball, drawn from the attack's seeded generator. */
import type { Generator } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul } from '../ops/binary.js';
import { rand, randn, uniform } from '../ops/creation.js';
import { powScalar, affine } from '../ops/unary.js';
import { clipToImage, normalizePerSample, type Norm } from './steps.js';

/**
 * L∞: x + U(−ε, ε) elementwise; L2: uniform in the ball, a Gaussian direction normalised per
 * sample times radius ε·u^{1/d} (d = elements per sample). Clipped to [0, 1].
 */
export function randomStart(x: Tensor, eps: number, n: Norm, generator: Generator): Tensor {
  const o = { generator, dtype: x.dtype, backend: x.backend };
  if (n === 'linf') return clipToImage(add(x, uniform(x.shape, -eps, eps, o)));
  const d = x.size / x.shape[0]!;
  const direction = normalizePerSample(randn(x.shape, o), 2);
  const radiusShape = x.shape.map((s, i) => (i === 0 ? s : 1));
  const radius = affine(powScalar(rand(radiusShape, o), 1 / d), eps, 0);
  return clipToImage(add(x, mul(direction, radius)));
}
