/**
 * Matmul and convolution on every device against textbook loops (test/helpers/reference-kernels):
 * sizes that do not divide any block or tile, transposed operands read in place, batch strides
 * including 0 (broadcast), K = 0 and empty outputs, int32; conv2d with stride, padding (asymmetric
 * too), dilation, groups, 1×1 and depthwise kernels, empty windows and batches, and the device's
 * fused input and weight gradients (conv2dBackwardInput/Weight) on the same cases; errors naming
 * the kernel and the sizes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, Conv2dParams, MatmulParams } from '../../src/core/backend.js';
import { chooseConvAlgorithm } from '../../src/backends/wasm/conv-algorithm.js';
import { convArbitrary, convParams } from '../helpers/conv-cases.js';
import { naiveConv, naiveMatmul } from '../helpers/reference-kernels.js';
import { VARIANT_DEVICES, expectClose, f32Values, openDevice, randomArray, read, upload, type Device } from './devices.js';

const mm = (m: number, n: number, k: number, o: Partial<MatmulParams> = {}): MatmulParams =>
  ({ batch: 1, m, n, k, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n, ...o });

export const CONV_CASES: Array<[string, Conv2dParams]> = [
  ['3×3 pad 1', convParams({})],
  ['batch 1', convParams({ n: 1 })],
  ['stride 2', convParams({ n: 3, strideH: 2, strideW: 2 })],
  ['strides 2×3, asymmetric padding', convParams({ strideH: 2, strideW: 3, padTop: 0, padLeft: 2, inH: 9, inW: 11 })],
  ['dilation 2×3', convParams({ dilationH: 2, dilationW: 3, padTop: 2, padLeft: 3, inH: 10, inW: 12 })],
  ['groups 2', convParams({ groups: 2, inC: 4, outC: 6 })],
  ['groups 4, stride 2', convParams({ groups: 4, inC: 4, outC: 8, strideH: 2, strideW: 2, n: 3 })],
  ['1×1 pointwise', convParams({ kH: 1, kW: 1, padTop: 0, padLeft: 0, inC: 20, outC: 17, inH: 5, inW: 5 })],
  ['1×1 with stride 2', convParams({ kH: 1, kW: 1, padTop: 0, padLeft: 0, strideH: 2, strideW: 2, inC: 3, outC: 2, inH: 5, inW: 5 })],
  ['depthwise 3×3', convParams({ groups: 3, inC: 3, outC: 3, padTop: 0, padLeft: 0, inH: 5, inW: 5 })],
  ['MNIST-like 5×5 pad 2, one channel', convParams({ kH: 5, kW: 5, padTop: 2, padLeft: 2, inC: 1, outC: 9, inH: 14, inW: 13 })],
  ['40 → 33 channels', convParams({ inC: 40, outC: 33, inH: 9, inW: 10 })],
  ['300 input channels', convParams({ inC: 300, outC: 5, inH: 4, inW: 4 })],
  ['2×3 kernel, tall input', convParams({ kH: 2, kW: 3, padTop: 0, padLeft: 0, inC: 2, outC: 3, inH: 40, inW: 20, n: 1 })],
  ['padding larger than the kernel reach', convParams({ padTop: 3, padLeft: 4, inC: 2, outC: 3, inH: 5, inW: 5 })],
  ["even kernel, extra bottom/right padding ('same')", convParams({ kH: 4, kW: 2, padTop: 1, padLeft: 0, padBottom: 2, padRight: 1, n: 1, inC: 3, outC: 2, inH: 6, inW: 5 })],
  ['extra bottom padding, stride 2', convParams({ padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, strideH: 2, inH: 8, inW: 9 })],
  // the implicit-GEMM kernels (wasm): the 3-channel first layer, the stride-2 layout and four-phase input gradient
  ["ResNet-20's first layer, 3 → 16 channels at 32²", convParams({ n: 1, inC: 3, outC: 16, inH: 32, inW: 32 })],
  ['ResNet-20 downsampling 16 → 32 channels, 32² stride 2', convParams({ n: 1, inC: 16, outC: 32, inH: 32, inW: 32, strideH: 2, strideW: 2 })],
  ['ResNet-20 downsampling 32 → 64 channels, 16² stride 2', convParams({ n: 1, inC: 32, outC: 64, inH: 16, inW: 16, strideH: 2, strideW: 2 })],
  // the packed stride-2 patch copy: runs of 5+ pixels, one ending a column short of the row (odd width)
  ['stride 2, odd width 21, no padding', convParams({ inC: 3, outC: 5, inH: 9, inW: 21, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 })],
  ['crosses every GEMM block (66 outputs, depth 150, 576 pixels)', convParams({ n: 1, inC: 6, inH: 24, inW: 24, outC: 66, kH: 5, kW: 5, padTop: 2, padLeft: 2 })],
];

/** forward and both fused gradients of a conv against the loops */
/**
 * Layers the wasm backend runs with Winograd F(4, r) by default ('auto'): its transforms round
 * partial sums of very different size, so float32 results carry about 10× the error of direct
 * summation (bounded against Σ|x·w| in test/backends/wasm-winograd.test.ts)
 */
const winogradOnWasm = (device: Device, p: Conv2dParams) => device.kernelPrefix === 'wasm' && chooseConvAlgorithm(p, true, 'auto') !== null;

async function checkConv(b: Backend, p: Conv2dParams, seed: number, what: string, dtype: 'float32' | 'float64' = 'float32', winograd = false): Promise<void> {
  const x = f32Values(randomArray(p.n * p.inC * p.inH * p.inW, seed)), w = f32Values(randomArray(p.outC * (p.inC / p.groups) * p.kH * p.kW, seed + 1));
  const dy = f32Values(randomArray(p.n * p.outC * p.outH * p.outW, seed + 2));
  const ref = naiveConv(p, x, w, dy);
  const X = upload(b, x, dtype), W = upload(b, w, dtype), D = upload(b, dy, dtype);
  const outs = [b.conv2d(X, W, p), b.accelerated.conv2dBackwardInput!(D, W, p), b.accelerated.conv2dBackwardWeight!(X, D, p)];
  for (const s of outs) expect(s.dtype).toBe(dtype);
  const depth = (reach: number) => (dtype === 'float64' ? 1e-12 : (winograd ? 2e-6 : 2e-7) * reach + 1e-6);
  expectClose(`${what} forward`, await read(b, outs[0]!), ref.y, 1e-5, depth(p.inC * p.kH * p.kW));
  expectClose(`${what} input grad`, await read(b, outs[1]!), ref.dx, 1e-5, depth(p.outC * p.kH * p.kW));
  expectClose(`${what} weight grad`, await read(b, outs[2]!), ref.dw, 1e-5, depth(p.n * p.outH * p.outW));
  for (const s of [X, W, D, ...outs]) b.free(s);
}

describe.each(VARIANT_DEVICES)('matmul and convolution on $name', (device) => {
  const get = openDevice(device);

  it('matmul: awkward sizes, every transpose, batch strides (incl. 0 and gaps), size-1 dims, float64 where supported', async () => {
    const b = get();
    if (!b) return;
    const cases: MatmulParams[] = [
      mm(1, 1, 1), mm(1, 7, 3), mm(5, 1, 9), mm(7, 13, 5), mm(17, 33, 65), mm(33, 65, 17), mm(70, 9, 20), mm(3, 130, 4),
      mm(130, 70, 300), mm(5, 1030, 9), mm(200, 9, 20), mm(1, 1100, 5), mm(150, 130, 9),
      mm(6, 5, 4, { batch: 3 }), mm(6, 5, 4, { batch: 3, aBatchStride: 0 }), mm(7, 13, 5, { batch: 3, bBatchStride: 0 }),
      mm(7, 13, 5, { batch: 3, bBatchStride: 0, transA: true }), mm(7, 13, 5, { batch: 3, aBatchStride: 7 * 5 + 3, bBatchStride: 13 * 5 + 1, transB: true }),
    ];
    for (const base of cases) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const p = { ...base, transA: base.transA || transA, transB: base.transB || transB };
        const aLen = p.batch > 0 ? (p.batch - 1) * p.aBatchStride + p.m * p.k : 0, bLen = p.batch > 0 ? (p.batch - 1) * p.bBatchStride + p.k * p.n : 0;
        const a = f32Values(randomArray(aLen, p.m * 31 + p.k)), c = f32Values(randomArray(bLen, p.n * 17 + p.k));
        for (const dtype of device.float64 && p.m * p.n * p.k < 5000 ? (['float32', 'float64'] as const) : (['float32'] as const)) {
          const out = b.matmul(upload(b, a, dtype), upload(b, c, dtype), p);
          expect(out.dtype).toBe(dtype);
          expectClose(`matmul ${dtype} ${JSON.stringify(p)}`, await read(b, out), naiveMatmul(a, c, p), 1e-5, dtype === 'float64' ? 1e-12 : 2e-7 * p.k + 1e-6);
        }
      }
    }
  });

  it('matmul with fast-check shapes', async () => {
    const b = get();
    if (!b) return;
    await fc.assert(fc.asyncProperty(
      fc.record({ m: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 40 }),
        batch: fc.integer({ min: 1, max: 3 }), transA: fc.boolean(), transB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }) }),
      async ({ seed, ...s }) => {
        const p = mm(s.m, s.n, s.k, { ...s, aBatchStride: s.m * s.k, bBatchStride: s.k * s.n });
        const a = f32Values(randomArray(p.batch * p.m * p.k, seed)), c = f32Values(randomArray(p.batch * p.k * p.n, seed + 1));
        const A = upload(b, a), B = upload(b, c), out = b.matmul(A, B, p);
        expectClose(`matmul ${JSON.stringify(p)}`, await read(b, out), naiveMatmul(a, c, p), 1e-5, 1e-5);
        b.free(A); b.free(B); b.free(out);
      }), { numRuns: 10, seed: 3 });
  });

  it('matmul: long K with a small output, int32 exact, K = 0 is zeros, empty outputs, 0·∞ is NaN, errors', async () => {
    const b = get();
    if (!b) return;
    const p = mm(3, 5, 3000);
    const a = f32Values(randomArray(p.m * p.k, 1)), c = f32Values(randomArray(p.k * p.n, 2));
    expectClose('long K', await read(b, b.matmul(upload(b, a), upload(b, c), p)), naiveMatmul(a, c, p), 1e-5, 2e-5);
    const ai = Array.from({ length: 12 * 7 }, (_, i) => (i * 13) % 101 - 50), ci = Array.from({ length: 7 * 9 }, (_, i) => (i * 29) % 101 - 50);
    const pi = mm(12, 9, 7);
    expect([...await b.read(b.matmul(upload(b, ai, 'int32'), upload(b, ci, 'int32'), pi))]).toEqual([...naiveMatmul(ai, ci, pi)]);
    expect([...await read(b, b.matmul(upload(b, []), upload(b, []), mm(3, 4, 0, { batch: 2 })))]).toEqual(new Array(24).fill(0));
    expect((await read(b, b.matmul(upload(b, []), upload(b, randomArray(8, 5)), mm(0, 4, 2)))).length).toBe(0);
    expect((await read(b, b.matmul(upload(b, [0]), upload(b, [Infinity]), mm(1, 1, 1))))[0]).toBeNaN();
    expect(() => b.matmul(upload(b, randomArray(5, 1)), upload(b, randomArray(6, 1)), mm(2, 3, 3)))
      .toThrow(new RegExp(`${device.kernelPrefix}\\.matmul: a has 5 elements, needs 6`));
  });

  for (const [name, p] of CONV_CASES) {
    it(`conv2d forward, input and weight gradients: ${name}`, async () => {
      const b = get();
      if (!b) return;
      await checkConv(b, p, p.inC * 100 + p.outC + p.kH * 7 + p.strideH, name, 'float32', winogradOnWasm(device, p));
      if (device.float64 && p.inC * p.outC * p.inH * p.inW < 20000) await checkConv(b, p, 3, `${name} float64`, 'float64');
    });
  }

  it('conv2d with fast-check parameters: stride, padding, dilation, groups', async () => {
    const b = get();
    if (!b) return;
    await fc.assert(fc.asyncProperty(convArbitrary, async ({ p, seed }) => {
      await checkConv(b, p, seed, JSON.stringify(p), 'float32', winogradOnWasm(device, p));
    }), { numRuns: 8, seed: 5 });
  });

  it('conv2d: empty windows (no input channels) and empty batches give zeros of the right size', async () => {
    const b = get();
    if (!b) return;
    const p = convParams({ inC: 0, outC: 3 });
    expect([...await read(b, b.conv2d(upload(b, []), upload(b, []), p))]).toEqual(new Array(p.n * 3 * p.outH * p.outW).fill(0));
    const q = convParams({ n: 0 });
    const W = upload(b, randomArray(4 * 3 * 9, 1));
    expect((await read(b, b.conv2d(upload(b, []), W, q))).length).toBe(0);
    expect([...await read(b, b.accelerated.conv2dBackwardWeight!(upload(b, []), upload(b, []), q))]).toEqual(new Array(4 * 3 * 9).fill(0));
  });

  it('size mismatches name the kernel and the expected size', () => {
    const b = get();
    if (!b) return;
    const p = convParams({ n: 1, inC: 2, inH: 4, inW: 4, outC: 3 });
    const k = device.kernelPrefix;
    expect(() => b.conv2d(upload(b, new Float32Array(31)), upload(b, new Float32Array(54)), p)).toThrow(new RegExp(`${k}\\.conv2d: x has 31 elements, expected 32`));
    expect(() => b.accelerated.conv2dBackwardWeight!(upload(b, new Float32Array(32)), upload(b, new Float32Array(47)), p))
      .toThrow(new RegExp(`${k}\\.conv2dBackwardWeight: dy has 47 elements, expected 48`));
    expect(() => b.conv2d(upload(b, new Float32Array(32)), upload(b, new Float32Array(54)), { ...p, groups: 2 })).toThrow(/groups 2 must divide/);
    expect(() => b.conv2d(upload(b, new Float32Array(32)), upload(b, new Float32Array(48)), p)).toThrow(new RegExp(`${k}\\.conv2d: w has 48 elements`));
  });
});
