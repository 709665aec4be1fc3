/**
 * The L∞ attack step: the backend's fused kernel equals the op's composed definition (sign,
 * scale, add, project, clip; withoutAccelerations) on every backend for fast-check shapes and
 * step sizes, both paths propagate a NaN gradient instead of hiding it, and bad arguments are
 * rejected by name.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import { backendPerSuite } from '../helpers/backend-per-suite.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'cpu,wasm,webgpu').split(',');

function composed(xAdv: g.Tensor, x: g.Tensor, grad: g.Tensor, alpha: number, eps: number): g.Tensor {
  return g.withoutAccelerations(() => g.linfStep(xAdv, x, grad, alpha, eps));
}

describe.each(BACKENDS)('linfStep on %s', (name) => {
  const current = backendPerSuite(name);

  it('equals the composed step (sign(0) = 0, values outside the ball and the image range)', async () => {
    const backend = current();
    if (!backend) return;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 1e6 }), fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 0.4, noNaN: true }),
      async (shape, seed, alpha, eps) => {
        const gen = new g.Generator(seed);
        const x = g.rand(shape, { generator: gen, backend });
        const xAdv = g.add(x, g.affine(g.rand(shape, { generator: gen, backend }), 0.8, -0.4));
        // a third of the gradient exactly zero
        const grad = g.mul(g.randn(shape, { generator: gen, backend }), g.gt(g.rand(shape, { generator: gen, backend }), 0.33));
        const fused = await g.linfStep(xAdv, x, grad, alpha, eps).data();
        const ref = await composed(xAdv, x, grad, alpha, eps).data();
        for (let i = 0; i < ref.length; i++) {
          // WebGPU rounds ε to float32 before x ± ε (the composed ops round once): 1 ulp apart at most
          expect(Math.abs(fused[i]! - ref[i]!), `element ${i}`).toBeLessThanOrEqual(name === 'webgpu' ? 1e-7 : 0);
        }
      }), { numRuns: 8, seed: 11 });
  });

  it('a NaN gradient gives NaN, never a plausible image (fused and composed)', async () => {
    const backend = current();
    if (!backend) return;
    const x = g.tensor([0.5, 0.5, 0.5], { backend });
    const grad = g.tensor([NaN, 1, -1], { backend });
    for (const out of [await g.linfStep(x, x, grad, 0.1, 0.2).data(), await composed(x, x, grad, 0.1, 0.2).data()]) {
      expect(Number.isNaN(out[0])).toBe(true);
      expect(out[1]).toBeCloseTo(0.6, 6);
      expect(out[2]).toBeCloseTo(0.4, 6);
    }
  });

  it('0 elements', async () => {
    const backend = current();
    if (!backend) return;
    const e = g.zeros([0, 3], { backend });
    expect((await g.linfStep(e, e, e, 0.1, 0.1).data()).length).toBe(0);
  });
});

it('bad arguments name the op and what was expected', () => {
  const a = g.zeros([2, 3]), b = g.zeros([3, 2]);
  expect(() => g.linfStep(a, b, a, 0.1, 0.1)).toThrow(/linfStep: x has shape \[3, 2\], expected the shape of xAdv \[2, 3\]/);
  expect(() => g.linfStep(a, a, a, NaN, 0.1)).toThrow(/linfStep: alpha must be a finite number >= 0, got NaN/);
  expect(() => g.linfStep(a, a, a, 0.1, -1)).toThrow(/linfStep: eps must be >= 0/);
  expect(() => g.linfStep(a, a, a, 0.1, 0.1, { lo: 1, hi: 0 })).toThrow(/linfStep: lo must be <= hi/);
  expect(() => g.linfStep(a, a, g.zeros([2, 3], { dtype: 'int32' }), 0.1, 0.1)).toThrow(/linfStep/);
});
