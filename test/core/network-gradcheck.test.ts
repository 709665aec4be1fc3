/**
 * A whole small CNN (conv → batchNorm → relu → maxPool → linear → crossEntropy): gradients with
 * respect to every parameter and the input match central finite differences in float64.
 */
import { expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { gradCheck } from '../helpers/gradcheck.js';

it('whole-network gradient (parameters and input) matches finite differences', () => {
  const gen = new g.Generator(7);
  const shapes = [[2, 2, 6, 6], [3, 2, 3, 3], [3], [3], [3], [4, 27], [4]];
  const inputs = shapes.map((s) => gen.normal(s.reduce((a, b) => a * b, 1), 0, 0.7));
  const labels = () => g.tensor([1, 3], { dtype: 'int32' });
  const net = (x: g.Tensor, w: g.Tensor, b: g.Tensor, gamma: g.Tensor, beta: g.Tensor, wl: g.Tensor, bl: g.Tensor) => {
    let h = g.conv2d(x, w, b, { padding: 1 });
    h = g.batchNorm(h, { training: true, weight: gamma, bias: beta });
    h = g.relu(h);
    h = g.maxPool2d(h, 2);
    const logits = g.linear(g.flatten(h, 1), wl, bl);
    return g.crossEntropy(logits, labels());
  };
  const worst = gradCheck(net, inputs, shapes, { rtol: 1e-5, atol: 1e-8 });
  expect(worst).toBeLessThanOrEqual(1);
});
