/** The zoo's MNIST networks: shapes and parameter counts (a changed layer shows up here). */
import { describe, expect, it } from 'vitest';
import { createBackend, createModel, Generator, tensor, type ModelName } from '../../src/index.js';

const backend = await createBackend('cpu');

/** conv c→o k×k: o·c·k² + o; linear i→o: i·o + o */
const conv = (c: number, o: number, k: number) => o * c * k * k + o;
const linear = (i: number, o: number) => i * o + o;

describe('model zoo (MNIST input, 2-d features)', () => {
  const cases: Array<[ModelName, number]> = [
    ['small-cnn', conv(1, 32, 5) + conv(32, 64, 5) + linear(64 * 7 * 7, 256) + linear(256, 2)],
    // unpadded: 28 → 24 → 12 → 8 → 4
    ['lenet', conv(1, 32, 5) + conv(32, 64, 5) + linear(64 * 4 * 4, 256) + linear(256, 2)],
    ['tiny-cnn', conv(1, 8, 5) + conv(8, 16, 5) + linear(16 * 7 * 7, 64) + linear(64, 2)],
  ];
  for (const [name, params] of cases) {
    it(`${name}: ${params} backbone parameters, features [N, 2]`, async () => {
      const m = createModel(name, { head: 'softmax', featureDim: 2, inputShape: [1, 28, 28], backend, generator: new Generator(1) });
      const backbone = m.backbone.parameters().reduce((s, p) => s + p.size, 0);
      expect(backbone).toBe(params);
      const x = tensor(new Float32Array(3 * 28 * 28).fill(0.5), { shape: [3, 1, 28, 28], backend });
      const f = m.features(x);
      expect(f.shape).toEqual([3, 2]);
      expect((await f.data()).every(Number.isFinite)).toBe(true);
    });
  }
});
