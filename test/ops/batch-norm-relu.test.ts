/**
 * relu(batchNorm(x) + residual): the fused kernels (training) equal the op's composed definition
 * (batchNorm, add, relu; withoutAccelerations) on every backend for fast-check shapes — the
 * output, the running statistics and every gradient, with and without a residual, weight and
 * bias; evaluation mode is the composition itself; bad arguments are rejected by name.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import { backendPerSuite } from '../helpers/backend-per-suite.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'cpu,wasm,webgpu').split(',');

interface Case { shape: number[]; residual: boolean; affine: boolean; training: boolean }

/** the output, the running statistics and the gradients of Σ w∘out */
async function run(b: g.Backend, c: Case, seed: number, composed: boolean): Promise<Float32Array[]> {
  const go = () => {
    const gen = new g.Generator(seed), ch = c.shape[1]!;
    const x = g.randn(c.shape, { generator: gen, backend: b }).requiresGrad_();
    const r = g.randn(c.shape, { generator: gen, backend: b }).requiresGrad_();
    const w = g.randn([ch], { generator: gen, backend: b }).requiresGrad_(), bias = g.randn([ch], { generator: gen, backend: b }).requiresGrad_();
    const runningMean = g.randn([ch], { generator: gen, backend: b }), runningVar = g.affine(g.rand([ch], { generator: gen, backend: b }), 1, 0.5);
    const out = g.batchNormRelu(x, { training: c.training, runningMean, runningVar, ...(c.affine ? { weight: w, bias } : {}) }, c.residual ? r : null);
    g.sum(g.mul(out, g.randn(c.shape, { generator: gen, backend: b }))).backward();
    return [out, runningMean, runningVar, x.grad!, ...(c.residual ? [r.grad!] : []), ...(c.affine ? [w.grad!, bias.grad!] : [])];
  };
  const ts = composed ? g.withoutAccelerations(go) : go();
  return Promise.all(ts.map(async (t) => Float32Array.from(await t.data())));
}

describe.each(BACKENDS)('batchNormRelu on %s', (name) => {
  const current = backendPerSuite(name);

  it('the fused kernels equal the composition relu(batchNorm(x) + residual): output, running statistics, gradients', async () => {
    const backend = current();
    if (!backend) return;
    const cases = fc.record({
      shape: fc.tuple(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 })).map((s) => [...s]),
      residual: fc.boolean(), affine: fc.boolean(), training: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(cases, fc.integer({ min: 1, max: 1e6 }), async (c, seed) => {
      const fused = await run(backend, c, seed, false), composed = await run(backend, c, seed, true);
      fused.forEach((a, k) => a.forEach((v, i) => {
        const want = composed[k]![i]!;
        expect(Math.abs(v - want), `output ${k}, element ${i}: ${v} vs ${want}`).toBeLessThanOrEqual(1e-4 + 1e-3 * Math.abs(want));
      }));
    }), { numRuns: 12, seed: 23 });
  });

  it('rejects a residual of another shape or dtype, and evaluation without running statistics, naming the op', () => {
    const backend = current();
    if (!backend) return;
    const x = g.zeros([2, 3, 4], { backend });
    expect(() => g.batchNormRelu(x, { training: true }, g.zeros([2, 3, 5], { backend }))).toThrow(/batchNormRelu: residual \[2, 3, 5\] must have x's shape \[2, 3, 4\]/);
    expect(() => g.batchNormRelu(x, { training: true }, g.zeros([2, 3, 4], { backend, dtype: 'int32' }))).toThrow(/batchNormRelu: residual is .*int32.* but x is/);
    expect(() => g.batchNormRelu(x, { training: false })).toThrow(/batchNormRelu: evaluation mode needs runningMean and runningVar/);
    expect(() => g.batchNormRelu(g.zeros([1, 3, 1], { backend }), { training: true })).toThrow(/batchNormRelu: training needs more than one value per channel/);
  });
});
