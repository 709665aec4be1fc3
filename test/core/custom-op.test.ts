/**
 * customOp: a user's op with its own gradient rule joins the graph like a built-in one — checked
 * against central finite differences in float64 (fast-check inputs) — and a wrong rule is named.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { gradCheck } from '../helpers/gradcheck.js';

/** softsign(x) = x / (1 + |x|), d/dx = 1 / (1 + |x|)² */
const softsign = g.customOp('softsign', {
  forward: (x: g.Tensor) => g.div(x, g.affine(g.abs(x), 1, 1)),
  backward: (grad, _y, x) => [g.div(grad, g.square(g.affine(g.abs(x), 1, 1)))],
});

/** a·b·c elementwise with broadcasting of c (a scalar): two inputs with gradients, one without */
const scaledProduct = g.customOp('scaledProduct', {
  forward: (a: g.Tensor, b: g.Tensor, c: g.Tensor) => g.mul(g.mul(a, b), c),
  backward: (grad, _y, a, b, c) => [g.mul(g.mul(grad, b), c), g.mul(g.mul(grad, a), c), null],
});

describe('customOp', () => {
  it('gradients match central finite differences (float64, fast-check)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }).filter((v) => Math.abs(v) > 1e-3), { minLength: 1, maxLength: 12 }), (xs) => {
      gradCheck((x) => g.tanh(softsign(g.mul(x, x))), [Float64Array.from(xs)], [[xs.length]], { rtol: 1e-5, atol: 1e-7 });
    }), { numRuns: 25 });
    const r = new g.Generator(5);
    gradCheck((a, b) => scaledProduct(a, b, g.tensor([2.5], { dtype: 'float64' })), [r.uniform(6, -1, 1), r.uniform(6, -1, 1)], [[2, 3], [2, 3]]);
  });

  it('is not recorded when no input needs a gradient, and names a wrong gradient rule', () => {
    const plain = softsign(g.tensor([1, -2]));
    expect(plain.requiresGrad).toBe(false);
    expect(Array.from(plain.dataSync())).toEqual([0.5, Math.fround(-2 / 3)]);
    const bad = g.customOp('bad', { forward: (x: g.Tensor) => g.square(x), backward: (grad) => [g.sum(grad)] });
    const x = g.tensor([1, 2, 3], { requiresGrad: true });
    expect(() => g.sum(bad(x)).backward()).toThrow(/bad: the gradient of input 0 has shape \[\], but the input has \[3\]/);
    const missing = g.customOp('missing', { forward: (x: g.Tensor) => g.square(x), backward: () => [] });
    expect(() => g.sum(missing(x)).backward()).toThrow(/missing: backward must return one gradient \(or null\) per input: 1 expected, got 0/);
  });
});
