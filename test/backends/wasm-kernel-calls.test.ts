/**
 * The WebAssembly kernel calls on typed arrays (WasmKernels), on SIMD with one and two threads,
 * without relaxed madd, and on the scalar fallback: GEMM on shapes that do not divide the register
 * or cache blocks, transposed and batch-strided operands; convolutions with stride, padding,
 * dilation and groups against textbook loops, both stride-1 input-gradient algorithms; the
 * e^{−logVar} kernel of the GM loss to the ulp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dParams, MatmulParams } from '../../src/core/backend.js';
import { WasmKernels } from '../../src/backends/wasm/calls/kernel-calls.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { naiveConv, naiveMatmul } from '../helpers/reference-kernels.js';
import { CONFIGS, convParams, maxAbsDiff, random, randomF32 } from './wasm-helpers.js';

const features = probeFeatures();

for (const cfg of CONFIGS) {
  describe.skipIf(cfg.needsSimd && !features.simd)(`wasm kernels, ${cfg.name}`, () => {
    let K: WasmKernels;
    beforeAll(async () => { K = await WasmKernels.create({ quiet: true, ...cfg.opts }); });
    afterAll(() => K?.dispose());

    it('runs with the requested configuration', () => {
      expect(K.simd).toBe(cfg.opts.simd ?? true);
      expect(K.threads).toBe(features.sharedMemory ? cfg.opts.threads : 1);
    });

    const gemmCases: Array<[number, number, number]> = [[1, 1, 1], [7, 13, 5], [33, 65, 17], [4, 8, 3], [130, 70, 300], [5, 1030, 9], [200, 9, 20]];
    for (const [m, n, k] of gemmCases) {
      it(`matmul ${m}×${k} · ${k}×${n} with every transpose`, () => {
        const rng = random(m * 1000 + n * 10 + k);
        const a = randomF32(m * k, rng), b = randomF32(k * n, rng);
        for (const transA of [false, true]) for (const transB of [false, true]) {
          const p: MatmulParams = { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 };
          const out = K.matmul(a, b, p);
          expect(maxAbsDiff(out, naiveMatmul(a, b, p)), `transA=${transA} transB=${transB}`).toBeLessThan(1e-5 * k + 1e-6);
          K.release(out);
        }
      });
    }

    it('matmul with batch strides, including broadcast (0) operands', () => {
      const rng = random(7);
      const m = 7, n = 13, k = 5, batch = 3;
      const cases: Array<Partial<MatmulParams>> = [
        { aBatchStride: m * k, bBatchStride: k * n },
        { aBatchStride: 0, bBatchStride: k * n },
        { aBatchStride: m * k, bBatchStride: 0 },
        { aBatchStride: m * k, bBatchStride: 0, transA: true },
        { aBatchStride: m * k + 3, bBatchStride: k * n + 1, transB: true },
      ];
      for (const c of cases) {
        const p: MatmulParams = { batch, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0, ...c };
        const a = randomF32(Math.max(1, (batch - 1) * p.aBatchStride + m * k), rng);
        const b = randomF32(Math.max(1, (batch - 1) * p.bBatchStride + k * n), rng);
        const out = K.matmul(a, b, p);
        expect(maxAbsDiff(out, naiveMatmul(a, b, p)), JSON.stringify(c)).toBeLessThan(1e-5);
        K.release(out);
      }
      // k = 0 is a zero matrix; empty outputs are empty
      const z = K.matmul(new Float32Array(0), new Float32Array(0), { batch: 2, m: 3, n: 4, k: 0, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
      expect([...z]).toEqual(new Array(24).fill(0));
      expect(K.matmul(new Float32Array(0), new Float32Array(5), { batch: 1, m: 0, n: 5, k: 1, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }).length).toBe(0);
    });

    const convCases: Array<Partial<Conv2dParams> & { padBottom?: number; padRight?: number }> = [
      {},
      { n: 1 },
      { n: 3, strideH: 2, strideW: 2 },
      { strideH: 2, strideW: 3, padTop: 0, padLeft: 2, inH: 9, inW: 11 },
      { dilationH: 2, dilationW: 3, padTop: 2, padLeft: 3, inH: 10, inW: 12 },
      { groups: 2, inC: 4, outC: 6 },
      { groups: 4, inC: 4, outC: 8, strideH: 2, strideW: 2, n: 3 },
      { kH: 1, kW: 1, padTop: 0, padLeft: 0, inC: 20, outC: 17, inH: 5, inW: 5 },
      { kH: 5, kW: 5, padTop: 2, padLeft: 2, inC: 1, outC: 9, inH: 14, inW: 13 },
      { kH: 3, kW: 3, inC: 40, outC: 33, inH: 9, inW: 10 },
      { kH: 3, kW: 3, inC: 300, outC: 5, inH: 4, inW: 4 },
      { kH: 2, kW: 3, padTop: 0, padLeft: 0, inC: 2, outC: 3, inH: 40, inW: 20, n: 1 },
      { kH: 3, kW: 3, padTop: 3, padLeft: 4, inC: 2, outC: 3, inH: 5, inW: 5 },
      { padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, strideH: 2, inH: 8, inW: 9 },
    ];
    it('conv2d with empty windows or empty batches gives zeros of the right size', () => {
      const p = convParams({ inC: 0, outC: 3 });
      const y = K.conv2d(new Float32Array(0), new Float32Array(0), p);
      expect([...y]).toEqual(new Array(p.n * 3 * p.outH * p.outW).fill(0));
      const q = convParams({ n: 0 });
      expect(K.conv2d(new Float32Array(0), new Float32Array(4 * 3 * 9), q).length).toBe(0);
      const dw = K.conv2dBackwardWeight(new Float32Array(0), new Float32Array(0), q);
      expect([...dw]).toEqual(new Array(4 * 3 * 9).fill(0));
      expect(() => K.conv2d(new Float32Array(3), new Float32Array(4 * 3 * 9), convParams({}))).toThrow(/conv2d: x has 3 elements, needs/);
      for (const a of [y, dw]) K.release(a);
    });

    for (const q of convCases) {
      it(`conv2d forward, input grad, weight grad ${JSON.stringify(q)}`, () => {
        const p = convParams(q);
        const rng = random(p.inC * 100 + p.outC + p.kH * 7 + p.strideH);
        const x = randomF32(p.n * p.inC * p.inH * p.inW, rng);
        const w = randomF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, rng);
        const dy = randomF32(p.n * p.outC * p.outH * p.outW, rng);
        const ref = naiveConv(p, x, w, dy);
        const tol = 1e-5 * (p.inC * p.kH * p.kW + p.outC * p.kH * p.kW + p.n * p.outH * p.outW) + 1e-6;
        const y = K.conv2d(x, w, p);
        expect(maxAbsDiff(y, ref.y), 'forward').toBeLessThan(tol);
        const dx = K.conv2dBackwardInput(dy, w, p);
        expect(maxAbsDiff(dx, ref.dx), 'input grad').toBeLessThan(tol);
        const dw = K.conv2dBackwardWeight(x, dy, p);
        expect(maxAbsDiff(dw, ref.dw), 'weight grad').toBeLessThan(tol);
        for (const a of [y, dx, dw]) K.release(a);
      });
    }
  });
}

describe.skipIf(!features.simd)('wasm kernels, both stride-1 input-gradient algorithms agree', () => {
  it('transposed forward and col2im match the reference', async () => {
    for (const backwardInput of ['transposed', 'col2im'] as const) {
      const K = await WasmKernels.create({ threads: 1, backwardInput });
      for (const q of [{ inC: 1, outC: 6, kH: 5, kW: 5, padTop: 2, padLeft: 2 }, { inC: 7, outC: 3, dilationH: 2, padTop: 2 }, { groups: 2, inC: 6, outC: 4 }]) {
        const p = convParams(q);
        const rng = random(3);
        const x = randomF32(p.n * p.inC * p.inH * p.inW, rng), w = randomF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, rng);
        const dy = randomF32(p.n * p.outC * p.outH * p.outW, rng);
        const dx = K.conv2dBackwardInput(dy, w, p);
        expect(maxAbsDiff(dx, naiveConv(p, x, w, dy).dx), `${backwardInput} ${JSON.stringify(q)}`).toBeLessThan(1e-4);
      }
      K.dispose();
    }
  });
});

describe('the GM loss\'s e^{−logVar} kernel', () => {
  for (const cfg of CONFIGS) {
    it.skipIf(cfg.needsSimd && !features.simd)(`within 1 ulp on [−88.3, 87.3], 0 or saturated outside, NaN kept: ${cfg.name}`, async () => {
      const K = await WasmKernels.create({ quiet: true, ...cfg.opts });
      try {
        const n = 100003, x = new Float32Array(n);
        for (let i = 0; i < n; i++) x[i] = Math.fround(-88.3 + (175.6 * i) / n);
        const y = K.allocF32(n);
        K.gmInvVarInto(x, y);
        for (let i = 0; i < n; i++) {
          const r = Math.exp(-x[i]!), ulp = 2 ** (Math.floor(Math.log2(r)) - 23);
          if (!(Math.abs(y[i]! - r) <= ulp)) expect.fail(`e^-(${x[i]}) = ${y[i]}, expected ${r}`);
        }
        const edge = K.allocF32(4);
        K.gmInvVarInto(new Float32Array([NaN, 200, -200, 0]), edge);
        expect(edge[0]).toBeNaN();
        expect(edge[1] === 0 && edge[2]! > 2e38 && edge[2]! < Infinity && edge[3] === 1, `${[...edge]}`).toBe(true);
        K.release(y); K.release(edge);
      } finally {
        K.dispose();
      }
    });
  }
});
