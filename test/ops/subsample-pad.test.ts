/**
 * subsamplePadChannels (ResNet's option-A shortcut in one op) equals its definition
 * pad(slice(x, [:, :, ::s, ::s]), channels before/after) exactly, forward and gradient, on every
 * backend for fast-check shapes; bad arguments are rejected by name.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import { backendPerSuite } from '../helpers/backend-per-suite.js';

const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'cpu,wasm,webgpu').split(',');

async function valueAndGrad(b: g.Backend, shape: number[], seed: number, f: (x: g.Tensor) => g.Tensor): Promise<number[][]> {
  const gen = new g.Generator(seed);
  const x = g.randn(shape, { generator: gen, backend: b }).requiresGrad_();
  const y = f(x);
  g.sum(g.mul(y, g.randn(y.shape, { generator: gen, backend: b }))).backward();
  return [Array.from(await y.data()), Array.from(await x.grad!.data()), y.shape];
}

describe.each(BACKENDS)('subsamplePadChannels on %s', (name) => {
  const current = backendPerSuite(name);

  it('equals pad(slice(x)) exactly: output, shape and gradient', async () => {
    const backend = current();
    if (!backend) return;
    const dim = fc.integer({ min: 1, max: 7 });
    await fc.assert(fc.asyncProperty(fc.tuple(dim, dim, dim, dim), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 1, max: 1e6 }), async (shape, stride, before, after, seed) => {
        const fused = await valueAndGrad(backend, shape, seed, (x) => g.subsamplePadChannels(x, stride, before, after));
        const composed = await valueAndGrad(backend, shape, seed, (x) => g.pad(g.slice(x, [null, null, { step: stride }, { step: stride }]), [0, 0, 0, 0, before, after]));
        expect(fused).toEqual(composed);
      }), { numRuns: 15, seed: 29 });
  });

  it('rejects a tensor that is not [N, C, H, W] and bad strides or paddings, naming the op', () => {
    const backend = current();
    if (!backend) return;
    const x = g.zeros([2, 3, 4, 4], { backend });
    expect(() => g.subsamplePadChannels(g.zeros([3, 4, 4], { backend }), 2, 1, 1)).toThrow(/subsamplePadChannels: x must be \[N, C, H, W\], got \[3, 4, 4\]/);
    expect(() => g.subsamplePadChannels(x, 0, 1, 1)).toThrow(/subsamplePadChannels: stride must be an integer >= 1, got 0/);
    expect(() => g.subsamplePadChannels(x, 2, -1, 1)).toThrow(/subsamplePadChannels: before must be an integer >= 0, got -1/);
  });
});
