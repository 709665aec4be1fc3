/**
 * The wasm backend's fused PReLU (one pass forward, one backward) against the composition the CPU
 * reference runs (relu(x) − w·relu(−x)) in float64: values, the input gradient and the slopes'
 * gradient, per-channel and shared slopes, at the 6-conv network's shapes and odd ones, on one
 * thread, two, and the scalar module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend } from '../../src/core/backend.js';
import { createWasmBackend } from '../../src/backends/create.js';
import type { WasmBackend } from '../../src/backends/wasm/backend.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { rng } from '../helpers/seeded-rng.js';

const simd = probeFeatures().simd;

const CASES: Array<[string, number[], number]> = [
  ['6-conv layer 1 (8×32×28², a slope per channel)', [8, 32, 28, 28], 32],
  ['6-conv layer 6 (64×128×7², one shared slope)', [64, 128, 7, 7], 1],
  // above the size (ELEMENTWISE_MIN) below which wasm hands the call to its reference
  ['odd sizes (7×5×9×15, per channel)', [7, 5, 9, 15], 5],
  ['rank 2 (77×91, shared)', [77, 91], 1],
  ['fewer channels than threads (128×1×33, per channel)', [128, 1, 33], 1],
];

const CONFIGS: Array<[string, Parameters<typeof createWasmBackend>[0], boolean]> = [
  ['1 thread', { threads: 1 }, true],
  ['2 threads', { threads: 2, parallelThreshold: 0 }, true],
  ['scalar module, 2 threads', { threads: 2, simd: false, parallelThreshold: 0 }, false],
];

interface Result { y: Float64Array; dx: Float64Array; dw: Float64Array }

/** y = prelu(x, w) and the gradients of Σ y·r */
async function run(be: Backend, dtype: 'float32' | 'float64', shape: number[], slopes: number): Promise<Result> {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = rng(7);
  const data = Float64Array.from({ length: n }, () => r() - 0.5);
  const weights = Float64Array.from({ length: slopes }, () => 0.5 * r() - 0.1);
  const probe = Float64Array.from({ length: n }, () => r() - 0.5);
  const x = g.tensor(dtype === 'float32' ? Float32Array.from(data) : data, { shape, backend: be, dtype, requiresGrad: true });
  const w = g.tensor(dtype === 'float32' ? Float32Array.from(weights) : weights, { shape: [slopes], backend: be, dtype, requiresGrad: true });
  const p = g.tensor(dtype === 'float32' ? Float32Array.from(probe) : probe, { shape, backend: be, dtype });
  const y = g.prelu(x, w);
  g.sum(g.mul(y, p)).backward();
  const out = { y: Float64Array.from(await y.data()), dx: Float64Array.from(await x.grad!.data()), dw: Float64Array.from(await w.grad!.data()) };
  for (const t of [x, w, p, y]) t.dispose();
  return out;
}

function expectClose(what: string, got: Float64Array, want: Float64Array, tol: number): void {
  expect(got.length).toBe(want.length);
  let scale = 1e-30;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= tol * scale)) expect.fail(`${what}[${i}]: ${got[i]} vs reference ${want[i]} (scale ${scale})`);
  }
}

describe('fused PReLU on wasm against the composed reference', () => {
  let cpu: Backend;
  const reference = new Map<string, Result>();
  beforeAll(async () => {
    cpu = await g.createBackend('cpu');
    for (const [name, shape, slopes] of CASES) reference.set(name, await run(cpu, 'float64', shape, slopes));
  });

  for (const [configName, opts, needsSimd] of CONFIGS) {
    describe.skipIf(needsSimd && !simd)(configName, () => {
      let wasm: WasmBackend;
      beforeAll(async () => { wasm = await createWasmBackend({ ...opts, verbose: false }); });
      afterAll(() => wasm.dispose());

      it('lists the kernels the op runs', () => {
        expect(typeof wasm.accelerated.prelu).toBe('function');
        expect(typeof wasm.accelerated.preluBackward).toBe('function');
      });

      it.each(CASES)('%s', async (name, shape, slopes) => {
        const got = await run(wasm, 'float32', shape, slopes);
        const want = reference.get(name)!;
        // float32 inputs: y and dx exact up to the input's rounding; dW sums up to 10⁵ products in float64
        expectClose('y', got.y, want.y, 1e-6);
        expectClose('dx', got.dx, want.dx, 1e-6);
        expectClose('dWeight', got.dw, want.dw, 1e-5);
      });
    });
  }
});

describe.skipIf(!simd)('fused PReLU argument checks', () => {
  it('names the kernel and the operand it refuses', async () => {
    const wasm = await createWasmBackend({ threads: 1, verbose: false });
    try {
      const { prelu, preluBackward } = wasm.accelerated;
      // a call the wasm kernel takes (8196 values) and one its reference takes (12)
      for (const size of [8196, 12]) {
        const x = wasm.upload(new Float32Array(size)), w = wasm.upload(new Float32Array(2));
        expect(() => prelu!(x, w, { outer: 1, c: 3, inner: size / 3, shared: false })).toThrow(/wasm\.prelu: weight has 2 elements, expected 3/);
        expect(() => prelu!(x, w, { outer: 2, c: 2, inner: size / 2, shared: true })).toThrow(/wasm\.prelu: x has \d+ elements, expected \d+/);
        expect(() => preluBackward!(x, x, w, { outer: 1, c: 3, inner: -4, shared: true })).toThrow(/wasm\.preluBackward: inner must be a non-negative integer/);
      }
    } finally {
      wasm.dispose();
    }
  });
});
