/**
 * Fused GEMM epilogues (src/ops/fused.ts) against the separate ops on the CPU in float64: forward
 * values and the gradients of x, the weight, the bias and an evaluation-mode batch norm's weight
 * and bias, for a convolution (bias, batch norm, ReLU in every combination, groups and strides)
 * and a linear layer (bias, ReLU). WebGPU runs them fused with both kernel sets — the software
 * one (the epilogue as a pass after the register core) and the hardware one forced onto this
 * adapter (the epilogue in gemmHw's stores) — including a K long enough to be split (the epilogue
 * then runs after the split sum). Sequential fuses Conv2d → BatchNorm2d (eval) → ReLU chains.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend, Tensor } from '../../src/index.js';
import { conv2dFused, fusesEpilogues, linearFused, type EpilogueSpec } from '../../src/ops/fused.js';
import { createTestBackend } from '../backends/webgpu-helpers.js';
import { expectCloseWithin } from '../helpers/expect-close.js';
import { rng } from '../helpers/seeded-rng.js';

const cpu = await g.createBackend('cpu');
const software = await createTestBackend();
// the hardware set with its tiled core for every shape (plain 'hw' gives these small GEMMs to the register core)
const hardware = await createTestBackend({ webgpuKernels: 'hardware', gemmCore: 'hw64' });
afterAll(() => { software?.dispose(); hardware?.dispose(); });

interface Case {
  x: number[]; w: number[]; stride: number; pad: number; groups: number;
  bias: boolean; bn: boolean; relu: boolean; seed: number;
}

function values(n: number, seed: number): Float64Array {
  const r = rng(seed);
  // float32-representable, so both sides start from the same numbers
  return Float64Array.from(Float32Array.from({ length: n }, () => r() * 2 - 1));
}

/** forward and gradients of the fused conv (or the composed ops when `composed`) on `backend` */
async function convRun(backend: Backend, dtype: 'float32' | 'float64', c: Case, composed: boolean): Promise<Float64Array[]> {
  return g.tidy(async () => {
    // values in [−1, 1), or in [lo, lo + 1) for a positive batch-norm weight
    const t = (shape: number[], seed: number, lo?: number) => {
      const v = values(shape.reduce((a, b) => a * b, 1), seed).map((x) => (lo === undefined ? x : lo + Math.abs(x)));
      return g.tensor(dtype === 'float32' ? Float32Array.from(v) : v, { shape, dtype, backend, requiresGrad: true });
    };
    const oc = c.w[0]!;
    const x = t(c.x, c.seed), w = t(c.w, c.seed + 1);
    const bias = c.bias ? t([oc], c.seed + 2) : null;
    const bnW = c.bn ? t([oc], c.seed + 3, 0.5) : null, bnB = c.bn ? t([oc], c.seed + 4) : null;
    const mean = g.tensor(values(oc, c.seed + 5), { shape: [oc], dtype, backend });
    const variance = g.affine(g.abs(g.tensor(values(oc, c.seed + 6), { shape: [oc], dtype, backend })), 1, 0.2);
    const spec: EpilogueSpec = {
      bias, relu: c.relu,
      batchNorm: c.bn ? { runningMean: mean, runningVar: variance, weight: bnW, bias: bnB, varianceEpsilon: 1e-5 } : null,
    };
    const options = { stride: c.stride, padding: c.pad, groups: c.groups };
    let y: Tensor;
    if (composed) {
      y = g.conv2d(x, w, bias, options);
      if (c.bn) y = g.batchNorm(y, { training: false, runningMean: mean, runningVar: variance, weight: bnW, bias: bnB, varianceEpsilon: 1e-5 });
      if (c.relu) y = g.relu(y);
    } else {
      y = conv2dFused(x, w, spec, options);
    }
    const weights = g.tensor(values(y.size, c.seed + 7), { shape: y.shape, dtype, backend });
    g.sum(g.mul(y, weights)).backward();
    const out = [Float64Array.from(await y.data())];
    for (const p of [x, w, bias, bnW, bnB]) if (p) out.push(Float64Array.from(await p.grad!.data()));
    return out;
  });
}

const convCase: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 3 }), og: fc.integer({ min: 1, max: 3 }), groups: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 7 }), k: fc.constantFrom(1, 3), stride: fc.integer({ min: 1, max: 2 }), pad: fc.integer({ min: 0, max: 1 }),
  bias: fc.boolean(), bn: fc.boolean(), relu: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
}).map((c) => ({
  x: [c.n, c.cg * c.groups, c.h, c.h + 1], w: [c.og * c.groups, c.cg, c.k, c.k], stride: c.stride, pad: c.pad, groups: c.groups,
  bias: c.bias, bn: c.bn, relu: c.relu, seed: c.seed,
}));

async function checkConv(backend: Backend, c: Case): Promise<void> {
  const ref = await convRun(cpu, 'float64', c, true);
  const got = await convRun(backend, 'float32', c, false);
  const names = ['y', 'dx', 'dw', ...(c.bias ? ['dbias'] : []), ...(c.bn ? ['dbnWeight', 'dbnBias'] : [])];
  got.forEach((v, i) => expectCloseWithin(`${names[i]} ${JSON.stringify(c)}`, v, ref[i]!, 2e-4, 2e-4));
}

describe.each([['cpu (composed)', cpu], ['webgpu software kernels', software], ['webgpu hardware kernels', hardware]] as const)('fused epilogues on %s', (_name, backend) => {
  it.skipIf(!backend)('declares the fused kernels where expected', () => {
    const t = g.zeros([1], { backend: backend! });
    expect(fusesEpilogues(t)).toBe(backend!.name === 'webgpu');
    t.dispose();
  });

  it.skipIf(!backend)('conv2d + bias / batch norm (eval) / ReLU: values and every gradient (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(convCase, (c) => checkConv(backend!, c)), { numRuns: 6, seed: 11 });
  });

  it.skipIf(!backend)('all three together, and a reduction long enough to be split (the epilogue after the sum)', async () => {
    await checkConv(backend!, { x: [2, 3, 5, 6], w: [4, 3, 3, 3], stride: 1, pad: 1, groups: 1, bias: true, bn: true, relu: true, seed: 3 });
    await checkConv(backend!, { x: [1, 130, 2, 2], w: [2, 130, 3, 3], stride: 1, pad: 1, groups: 1, bias: true, bn: true, relu: true, seed: 4 });
  });

  it.skipIf(!backend)('linear + bias + ReLU: values and gradients, including a split K', async () => {
    for (const [n, inF, outF, seed] of [[5, 7, 9, 1], [3, 1100, 6, 2]] as const) {
      const run = (b: Backend, dtype: 'float32' | 'float64', fused: boolean) => g.tidy(async () => {
        const mk = (shape: number[], s: number) => g.tensor(dtype === 'float32' ? Float32Array.from(values(shape[0]! * (shape[1] ?? 1), s)) : values(shape[0]! * (shape[1] ?? 1), s),
          { shape, dtype, backend: b, requiresGrad: true });
        const x = mk([n, inF], seed), w = mk([outF, inF], seed + 1), bias = mk([outF], seed + 2);
        const y = fused ? linearFused(x, w, { bias, relu: true }) : g.relu(g.linear(x, w, bias));
        g.sum(g.mul(y, g.tensor(dtype === 'float32' ? Float32Array.from(values(y.size, seed + 3)) : values(y.size, seed + 3), { shape: y.shape, dtype, backend: b }))).backward();
        return Promise.all([y, x.grad!, w.grad!, bias.grad!].map(async (t) => Float64Array.from(await t.data())));
      });
      const ref = await run(cpu, 'float64', false), got = await run(backend!, 'float32', true);
      got.forEach((v, i) => expectCloseWithin(`linear ${n}×${inF}→${outF} output ${i}`, v, ref[i]!, 2e-4, 2e-4));
    }
  });

  it.skipIf(!backend)('Sequential fuses Conv2d → BatchNorm2d (eval) → ReLU and gives the layers\' result', async () => {
    const conv = new g.Conv2d(2, 3, 3, { padding: 1, backend: backend! });
    const bn = new g.BatchNorm2d(3, { backend: backend! });
    const model = new g.Sequential(conv, bn, new g.ReLU(), new g.Flatten(), new g.Linear(3 * 16, 5, { backend: backend! }), new g.ReLU());
    model.eval();
    const x = g.tensor(Float32Array.from(values(2 * 2 * 16, 9)), { shape: [2, 2, 4, 4], backend: backend! });
    const fused = await model.forward(x).data();
    const layered = await g.relu(model.layers[4]!.forward(g.flatten(g.relu(bn.forward(conv.forward(x))), 1))).data();
    expectCloseWithin('Sequential', Float64Array.from(fused), Float64Array.from(layered), 1e-5, 1e-5);
  });
});
