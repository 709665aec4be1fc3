/**
 * The same op table on every backend: forward values and input gradients in float32 equal the CPU
 * float64 reference (tolerance |a − b| <= 1e-4 + 1e-3·|b|). No silent skips: in CI a missing
 * WebGPU adapter fails the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { opSpecs, valuesFor } from './op-specs.js';

const RUNS = Number(process.env.GMGRAD_CROSS_RUNS ?? 4);
const ATOL = 1e-4, RTOL = 1e-3;

interface Result { out: Float64Array; grads: Float64Array[] }

function run(backend: Backend, dtype: 'float32' | 'float64', fn: (...xs: Tensor[]) => Tensor, inputs: Float64Array[], shapes: number[][], weights: Float64Array | null): Promise<Result> {
  return g.tidy(async () => {
    const xs = inputs.map((d, i) => g.tensor(dtype === 'float32' ? Float32Array.from(d) : d, { shape: shapes[i], dtype, backend, requiresGrad: true }));
    const y = fn(...xs);
    const out = Float64Array.from(await y.data());
    const w = g.tensor(dtype === 'float32' ? Float32Array.from(weights ?? new Float64Array(y.size).fill(1)) : (weights ?? new Float64Array(y.size).fill(1)), { shape: y.shape, dtype, backend });
    const grads: Float64Array[] = [];
    if (y.requiresGrad) {
      g.sum(g.mul(y, w)).backward();
      for (const x of xs) grads.push(x.grad ? Float64Array.from(await x.grad.data()) : new Float64Array(x.size));
    }
    return { out, grads };
  });
}

function close(what: string, a: Float64Array, b: Float64Array): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - b[i]!) <= ATOL + RTOL * Math.abs(b[i]!);
    if (!ok) expect.fail(`${what}[${i}]: ${a[i]} vs reference ${b[i]}`);
  }
}

// wasm: one thread per core; wasm1: the same kernels on one thread (the split-free path)
const BACKENDS = (process.env.GMGRAD_BACKENDS ?? 'cpu,wasm,wasm1,webgpu').split(',');

async function open(name: string): Promise<Backend> {
  if (name === 'wasm1') return (await import('../../src/backends/create.js')).createWasmBackend({ threads: 1, verbose: false });
  return g.createBackend(name as g.BackendName, { verbose: false });
}

describe.each(BACKENDS)('backend %s equals the CPU float64 reference', (name) => {
  let backend: Backend | null = null;
  let reference: Backend;
  beforeAll(async () => {
    reference = await g.createBackend('cpu');
    try {
      backend = await open(name);
    } catch (e) {
      if (process.env.CI) throw e; // CI must really run every backend
      console.warn(`skipping backend ${name}: ${(e as Error).message}`);
    }
  });
  afterAll(() => { (backend as { dispose?: () => void } | null)?.dispose?.(); });

  for (const spec of opSpecs) {
    it(spec.name, async () => {
      if (!backend) return;
      await fc.assert(fc.asyncProperty(spec.shapes, fc.integer({ min: 1, max: 1_000_000 }), async (shapes, seed) => {
        // round the inputs to float32 first so both sides see the same values
        const inputs = shapes.map((s, i) => Float64Array.from(Float32Array.from(valuesFor(spec, s.reduce((a, b) => a * b, 1), seed + i))));
        const ref = await run(reference, 'float64', spec.fn, inputs, shapes, null);
        const weights = Float64Array.from(Float32Array.from(new g.Generator(seed).uniform(ref.out.length, 0.5, 1.5)));
        const refW = await run(reference, 'float64', spec.fn, inputs, shapes, weights);
        const got = await run(backend!, 'float32', spec.fn, inputs, shapes, weights);
        close(`${spec.name} forward`, got.out, ref.out);
        got.grads.forEach((gr, i) => close(`${spec.name} d/dx${i}`, gr, refW.grads[i]!));
      }), { numRuns: RUNS, seed: 7 });
    });
  }
});
