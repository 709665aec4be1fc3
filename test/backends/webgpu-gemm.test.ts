/**
 * The WebGPU GEMM kernels against naive float64 references, on every GEMM core: register-blocked
 * (software adapters) and the hardware core's two tiles, hw64 and hw128 (GPUs), forced onto this
 * adapter so that CI runs the code GPUs run: matmul with sizes that do not divide the tiles, size-1 dimensions,
 * transposed operands read in place, batch strides including 0, int32, K = 0, the split-K path
 * (small M·N, long K: partial sums then a fixed-order reduction); convolution forward, input
 * gradient and weight gradient with stride, padding, dilation and groups (fast-check parameters),
 * batch 1, and the weight gradient's split reduction. The cores must give the same values.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dParams, MatmulParams } from '../../src/core/backend.js';
import { planRegister, planSplits } from '../../src/backends/webgpu/kernels-gemm.js';
import { createTestBackend, expectClose, randomF32, randomI32 } from './webgpu-helpers.js';
import { convArbitrary, convParams } from '../helpers/conv-cases.js';
import { naiveConv, naiveMatmul } from '../helpers/reference-kernels.js';

// every core on this adapter: the hardware ones (hw64, hw128: what GPUs run) forced onto it
const cores = {
  register: await createTestBackend({ gemmCore: 'register' }),
  hw64: await createTestBackend({ gemmCore: 'hw64' }), hw128: await createTestBackend({ gemmCore: 'hw128' }),
};
afterAll(() => { for (const c of Object.values(cores)) c?.dispose(); });

const mm = (m: number, n: number, k: number, o: Partial<MatmulParams> = {}): MatmulParams =>
  ({ batch: 1, m, n, k, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n, ...o });

describe.each(['register', 'hw64', 'hw128'] as const)('webgpu GEMM kernels, %s core', (core) => {
  const b = cores[core]!;
  it.skipIf(!cores[core])('runs on the requested core', () => {
    expect(b.stats().gemmCore).toBe(core);
  });

  it.skipIf(!cores[core])('matmul: awkward sizes, transposes, batch strides (incl. 0), size-1 dims', async () => {
    const cases: MatmulParams[] = [
      mm(1, 1, 1), mm(1, 7, 3), mm(5, 1, 9), mm(17, 33, 65), mm(70, 9, 20), mm(3, 130, 4),
      mm(13, 11, 7, { transA: true }), mm(9, 14, 6, { transB: true }), mm(20, 19, 18, { transA: true, transB: true }),
      mm(6, 5, 4, { batch: 3 }), mm(6, 5, 4, { batch: 3, aBatchStride: 0 }), mm(6, 5, 4, { batch: 4, bBatchStride: 0, transB: true }),
      mm(4, 4, 4, { batch: 2, aBatchStride: 20, bBatchStride: 17 }),
      // the register core's four plans: tall/wide block × normal/swapped orientation
      mm(1, 1100, 5), mm(1100, 1, 5, { transA: true }), mm(3, 130, 4, { transB: true }), mm(150, 130, 9),
    ];
    const kinds = new Set([[1, 1100], [1100, 1], [3, 130], [150, 130]].map(([m, n]) => { const r = planRegister(m!, n!); return `${r.shader}/${r.swapped}`; }));
    expect(kinds.size).toBe(4);
    for (const p of cases) {
      const aLen = p.batch > 0 ? (p.batch - 1) * p.aBatchStride + p.m * p.k : 0, bLen = p.batch > 0 ? (p.batch - 1) * p.bBatchStride + p.k * p.n : 0;
      const a = randomF32(aLen, p.m * 31 + p.k), c = randomF32(bLen, p.n * 17 + p.k);
      const got = await b.read(b.matmul(b.upload(a), b.upload(c), p));
      expectClose(`matmul ${JSON.stringify(p)}`, got, naiveMatmul(a, c, p), 1e-5, 1e-5);
    }
  });

  it.skipIf(!cores[core])('matmul with fast-check shapes', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ m: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }),
        batch: fc.integer({ min: 1, max: 3 }), transA: fc.boolean(), transB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) }),
      async ({ seed, ...s }) => {
        const p = mm(s.m, s.n, s.k, { ...s, aBatchStride: s.m * s.k, bBatchStride: s.k * s.n });
        const a = randomF32(p.batch * p.m * p.k, seed), c = randomF32(p.batch * p.k * p.n, seed + 1);
        const A = b.upload(a), B = b.upload(c), out = b.matmul(A, B, p);
        expectClose(`matmul ${JSON.stringify(p)}`, await b.read(out), naiveMatmul(a, c, p), 1e-5, 1e-5);
        b.free(A); b.free(B); b.free(out);
      }), { numRuns: core === 'register' ? 10 : 4, seed: 3 });
  });

  it.skipIf(!cores[core])('matmul: split K for small M·N with long K, int32, K = 0 and empty outputs', async () => {
    const p = mm(3, 5, 3000);
    expect(planSplits({ m: 3, n: 5, k: 3000, batches: 1 }).splits).toBeGreaterThan(1);
    const a = randomF32(p.m * p.k, 1), c = randomF32(p.k * p.n, 2);
    expectClose('split-K matmul', await b.read(b.matmul(b.upload(a), b.upload(c), p)), naiveMatmul(a, c, p), 1e-5, 2e-5);
    const ai = randomI32(12 * 7, 3, -50, 50), ci = randomI32(7 * 9, 4, -50, 50);
    const pi = mm(12, 9, 7);
    expect([...await b.read(b.matmul(b.upload(ai), b.upload(ci), pi))]).toEqual([...naiveMatmul(ai, ci, pi)]);
    expect([...await b.read(b.matmul(b.upload(new Float32Array(0)), b.upload(new Float32Array(0)), mm(3, 4, 0)))]).toEqual(new Array(12).fill(0));
    expect((await b.read(b.matmul(b.upload(new Float32Array(0)), b.upload(randomF32(8, 5)), mm(0, 4, 2)))).length).toBe(0);
    expect(() => b.matmul(b.upload(randomF32(5, 1)), b.upload(randomF32(6, 1)), mm(2, 3, 3))).toThrow(/webgpu\.matmul: a has 5 elements, needs 6/);
  });

  async function checkConv(p: Conv2dParams, seed: number, what: string): Promise<void> {
    const x = randomF32(p.n * p.inC * p.inH * p.inW, seed), w = randomF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, seed + 1);
    const dy = randomF32(p.n * p.outC * p.outH * p.outW, seed + 2);
    const ref = naiveConv(p, x, w, dy);
    const X = b.upload(x), W = b.upload(w), D = b.upload(dy);
    const outs = [b.conv2d(X, W, p), b.accelerated.conv2dBackwardInput!(D, W, p), b.accelerated.conv2dBackwardWeight!(X, D, p)];
    expectClose(`${what} forward`, await b.read(outs[0]!), ref.y, 1e-5, 2e-5);
    expectClose(`${what} input grad`, await b.read(outs[1]!), ref.dx, 1e-5, 2e-5);
    expectClose(`${what} weight grad`, await b.read(outs[2]!), ref.dw, 1e-5, 5e-5);
    for (const s of [X, W, D, ...outs]) b.free(s);
  }

  it.skipIf(!cores[core])('conv2d forward, input and weight gradients: stride, padding, dilation, groups (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(convArbitrary, async ({ p, seed }) => {
      await checkConv(p, seed, JSON.stringify(p));
    }), { numRuns: core === 'register' ? 8 : 4, seed: 5 });
  });

  it.skipIf(!cores[core])('conv2d: MNIST-like layer at batch 1, 1×1 kernels, and the weight gradient split over a long reduction', async () => {
    await checkConv(convParams({ n: 1, inC: 1, inH: 12, inW: 12, outC: 5, kH: 5, kW: 5, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, groups: 1 }), 1, 'mnist 5×5');
    await checkConv(convParams({ n: 2, inC: 6, inH: 5, inW: 4, outC: 4, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 2 }), 2, '1×1 grouped');
    const long = convParams({ n: 2, inC: 2, inH: 26, inW: 26, outC: 3, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 1 });
    expect(planSplits({ m: 3, n: 18, k: 2 * 24 * 24, batches: 1 }).splits).toBeGreaterThan(1);
    await checkConv(long, 3, 'long weight-gradient reduction');
  });

  it.skipIf(!cores[core])('conv2d: zero-size batches and channel counts give empty or zero outputs', async () => {
    const p = convParams({ n: 0, inC: 2, inH: 4, inW: 4, outC: 3, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 });
    const W = b.upload(randomF32(3 * 2 * 9, 1));
    expect((await b.read(b.conv2d(b.upload(new Float32Array(0)), W, p))).length).toBe(0);
    expect([...await b.read(b.accelerated.conv2dBackwardWeight!(b.upload(new Float32Array(0)), b.upload(new Float32Array(0)), p))]).toEqual(new Array(54).fill(0));
    expect(() => b.conv2d(b.upload(randomF32(5, 1)), W, { ...p, n: 1 })).toThrow(/webgpu\.conv2d: x has 5 elements, expected 32/);
  });
});

describe.skipIf(Object.values(cores).some((c) => !c))('the GEMM cores', () => {
  it('produce identical values (same summation order)', async () => {
    const p = mm(37, 29, 300, { batch: 2 });
    const a = randomF32(2 * 37 * 300, 8), c = randomF32(2 * 300 * 29, 9);
    const results = await Promise.all(Object.values(cores).map((b) => b!.read(b!.matmul(b!.upload(a), b!.upload(c), p))));
    for (const t of results.slice(1)) {
      let diff = 0;
      for (let i = 0; i < t.length; i++) diff = Math.max(diff, Math.abs(results[0]![i]! - t[i]!));
      // a fused multiply-add in one compiled kernel and not the other would show up as rounding only
      expect(diff).toBeLessThan(1e-5);
    }
  });
});
