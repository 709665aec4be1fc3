/**
 * Every op of the shared table through a backend that declares no accelerations (the naive test
 * backend: the required primitives only, in plain float64 loops): the composed forms of the fused
 * kernels (convolution and pooling gradients, softmax, GM loss, batch norm) then run for every op.
 * Their analytic gradients match central finite differences, and forward values and gradients
 * equal the CPU reference running its fused kernels (float64, |a − b| <= 1e-10 + 1e-8·|b|).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as g from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { ACCELERATION_NAMES } from '../../src/core/kernel-contract.js';
import { gradCheck } from '../helpers/gradcheck.js';
import { NaiveBackend } from '../helpers/naive-backend.js';
import { opSpecs, valuesFor } from './op-specs.js';

const RUNS = Number(process.env.GMGRAD_PROPERTY_RUNS ?? 12);
const naive = new NaiveBackend();
const cpu = new CpuBackend();

function outputsAndGrads(backend: Backend, fn: (...xs: Tensor[]) => Tensor, inputs: Float64Array[], shapes: number[][]) {
  return g.tidy(() => {
    const xs = inputs.map((d, i) => g.tensor(d, { shape: shapes[i], dtype: 'float64', backend, requiresGrad: true }));
    const y = fn(...xs);
    const out = Float64Array.from(y.dataSync());
    const w = g.tensor(new g.Generator(99).uniform(y.size, 0.5, 1.5), { shape: y.shape, dtype: 'float64', backend });
    const grads: Float64Array[] = [];
    if (y.requiresGrad) {
      g.sum(g.mul(y, w)).backward();
      for (const x of xs) grads.push(x.grad ? Float64Array.from(x.grad.dataSync()) : new Float64Array(x.size));
    }
    return { out, grads };
  });
}

function close(what: string, a: Float64Array, b: Float64Array): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= 1e-10 + 1e-8 * Math.abs(b[i]!)) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      expect.fail(`${what}[${i}]: composed ${a[i]} vs fused ${b[i]}`);
    }
  }
}

describe('every op through a backend without accelerations (the naive backend)', () => {
  it('declares none, and the CPU reference declares all but the GEMM epilogues', () => {
    expect(Object.keys(naive.accelerated)).toEqual([]);
    expect(Object.keys(cpu.accelerated).sort()).toEqual(ACCELERATION_NAMES.filter((n) => n !== 'conv2dEpilogue' && n !== 'matmulEpilogue').sort());
  });

  for (const spec of opSpecs) {
    it(spec.name, () => {
      fc.assert(fc.property(spec.shapes, fc.integer({ min: 1, max: 1_000_000 }), (shapes, seed) => {
        const inputs = shapes.map((s, i) => valuesFor(spec, s.reduce((a, b) => a * b, 1), seed + i));
        gradCheck(spec.fn, inputs, shapes, { rtol: spec.rtol ?? 1e-6, atol: 1e-8, backend: naive });
        const composed = outputsAndGrads(naive, spec.fn, inputs, shapes);
        const fused = outputsAndGrads(cpu, spec.fn, inputs, shapes);
        close(`${spec.name} forward`, composed.out, fused.out);
        composed.grads.forEach((gr, i) => close(`${spec.name} d/dx${i}`, gr, fused.grads[i]!));
      }), { numRuns: Math.max(2, Math.ceil(RUNS / 3)), seed: 17 });
    });
  }
});
