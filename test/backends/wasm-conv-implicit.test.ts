/**
 * The implicit-GEMM convolutions (kernels/conv-implicit.ts): forced on, over random shapes where
 * they apply (strides 1 and 2, kernels 1–4, padding, odd input sizes, several micro-tiles; the
 * stride-1 input gradient as the implicit forward pass with flipped weights), on one
 * and two threads and without relaxed madd, against the float64 textbook loops; where 'auto' picks
 * them; and that a forced choice falls back to packed patches where they do not apply.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dParams } from '../../src/core/backend.js';
import { WasmKernels } from '../../src/backends/wasm/calls/kernel-calls.js';
import { IMPLICIT_MAX_DEPTH, chooseImplicit, implicitApplies } from '../../src/backends/wasm/conv-algorithm.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { naiveConv } from '../helpers/reference-kernels.js';
import { convParams, maxAbsDiff, random, randomF32 } from './wasm-helpers.js';

const features = probeFeatures();

/** shapes the implicit kernels take: output widths of 8 or 16, channels in fours for the tiled side */
const implicitCase = fc.record({
  n: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 2 }), k: fc.integer({ min: 1, max: 4 }),
  pad: fc.integer({ min: 0, max: 2 }), outW: fc.constantFrom(8, 16), outH: fc.integer({ min: 1, max: 5 }),
  extraH: fc.integer({ min: 0, max: 1 }), extraW: fc.integer({ min: 0, max: 1 }), inC: fc.constantFrom(1, 3, 4, 8, 9), outQuads: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer({ min: 1, max: 1e6 }),
}).map(({ n, s, k, pad, outW, outH, extraH, extraW, inC, outQuads, seed }) => {
  const padding = Math.min(pad, k - 1);
  // the input size that gives these outputs (a stride-2 input may be one wider: the last column unread)
  const size = (out: number, extra: number) => Math.max(1, (out - 1) * s + k - 2 * padding + (s === 2 ? extra : 0));
  const p = convParams({
    n, inC, outC: 4 * outQuads, kH: k, kW: k, strideH: s, strideW: s, padTop: padding, padLeft: padding,
    inH: size(outH, extraH), inW: size(outW, extraW),
  });
  return { p, seed };
}).filter(({ p }) => p.outW % 8 === 0 && p.outH > 0 && implicitApplies('forward', p));

/** stride-2 shapes whose input is twice the output: the input gradient runs as four phases */
const phaseCase = fc.record({
  n: fc.integer({ min: 1, max: 2 }), kp: fc.constantFrom([2, 0], [3, 1], [4, 1], [2, 1]), outW: fc.constantFrom(8, 16),
  outH: fc.integer({ min: 1, max: 4 }), inC: fc.constantFrom(4, 8), outC: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 1, max: 1e6 }),
}).map(({ n, kp: [k, pad], outW, outH, inC, outC, seed }) => ({
  p: convParams({ n, inC, outC, kH: k!, kW: k!, strideH: 2, strideW: 2, padTop: pad!, padLeft: pad!, inH: 2 * outH, inW: 2 * outW }),
  seed,
})).filter(({ p }) => implicitApplies('backwardInput', p));

function check(K: WasmKernels, p: Conv2dParams, seed: number): void {
  const rng = random(seed);
  const x = randomF32(p.n * p.inC * p.inH * p.inW, rng), w = randomF32(p.outC * (p.inC / p.groups) * p.kH * p.kW, rng);
  const dy = randomF32(p.n * p.outC * p.outH * p.outW, rng);
  const ref = naiveConv(p, x, w, dy);
  const tol = (depth: number) => 2e-7 * depth + 1e-6;
  const y = K.conv2d(x, w, p), dw = K.conv2dBackwardWeight(x, dy, p), dx = K.conv2dBackwardInput(dy, w, p);
  expect(maxAbsDiff(y, ref.y), `forward ${JSON.stringify(p)}`).toBeLessThan(tol(p.inC * p.kH * p.kW));
  expect(maxAbsDiff(dw, ref.dw), `weight grad ${JSON.stringify(p)}`).toBeLessThan(tol(p.n * p.outH * p.outW));
  expect(maxAbsDiff(dx, ref.dx), `input grad ${JSON.stringify(p)}`).toBeLessThan(tol(p.outC * p.kH * p.kW));
  for (const a of [y, dw, dx]) K.release(a);
}

const configs = [
  { name: '1 thread, stride-1 input gradients as forward passes', opts: { threads: 1, backwardInput: 'transposed' as const } },
  { name: '2 threads, every call split', opts: { threads: 2, parallelThreshold: 0 } },
  { name: 'mul + add without relaxed madd, 2 threads', opts: { threads: 2, parallelThreshold: 0, relaxedMadd: false } },
];

for (const cfg of configs) {
  describe.skipIf(!features.simd)(`implicit-GEMM convolutions, ${cfg.name}`, () => {
    let K: WasmKernels;
    beforeAll(async () => { K = await WasmKernels.create({ quiet: true, directConv: 'implicit', convAlgorithm: 'direct', ...cfg.opts }); });
    afterAll(() => K?.dispose());

    it('match the float64 loops on random shapes they apply to, and on stride-2 input gradients in four phases', () => {
      let stride2 = 0;
      fc.assert(fc.property(implicitCase, ({ p, seed }) => {
        if (p.strideH === 2) stride2++;
        check(K, p, seed);
      }), { numRuns: 25, seed: 5 });
      // the draws reached the stride-2 layout
      expect(stride2).toBeGreaterThan(3);
      fc.assert(fc.property(phaseCase, ({ p, seed }) => check(K, p, seed)), { numRuns: 12, seed: 6 });
    });

    it("match on ResNet-20's first layer and its downsampling layers (stride-2 input grad in four phases)", () => {
      const layers = [
        convParams({ n: 2, inC: 3, outC: 16, inH: 32, inW: 32 }),
        convParams({ n: 2, inC: 16, outC: 32, inH: 32, inW: 32, strideH: 2, strideW: 2 }),
        convParams({ n: 3, inC: 32, outC: 64, inH: 16, inW: 16, strideH: 2, strideW: 2 }),
      ];
      for (const p of layers) {
        expect(implicitApplies('forward', p) && implicitApplies('backwardWeight', p)).toBe(true);
        if (p.strideH === 2) expect(implicitApplies('backwardInput', p)).toBe(true);
        check(K, p, p.inC);
      }
    });

    it('leave shapes they do not apply to to packed patches, with the same results as the loops', () => {
      // output width 7, 6 output channels, stride 3, groups, dilation: each rules the implicit kernels out somewhere
      for (const p of [convParams({ inW: 7, outC: 6 }), convParams({ strideH: 3, strideW: 3, inH: 9, inW: 25 }), convParams({ groups: 2, inC: 4, outC: 8, inW: 8 }),
        convParams({ dilationH: 2, dilationW: 2, padTop: 2, padLeft: 2, inW: 8, outC: 4 }),
        // 6 × 2 output pixels: the forward pass packs patches, the weight gradient (pixels in fours) runs implicit
        convParams({ inW: 6, inH: 2, outC: 8 })]) {
        check(K, p, 3);
      }
    });
  });
}

describe('which passes run implicit', () => {
  const down = convParams({ n: 64, inC: 16, outC: 32, inH: 32, inW: 32, strideH: 2, strideW: 2 });
  const first = convParams({ n: 64, inC: 3, outC: 16, inH: 32, inW: 32 });
  const wide = convParams({ n: 64, inC: 32, outC: 32, inH: 16, inW: 16 });
  it("'auto' takes every pass they apply to up to depth IMPLICIT_MAX_DEPTH", () => {
    for (const pass of ['forward', 'backwardInput', 'backwardWeight'] as const) expect(chooseImplicit(pass, down, true, 'auto')).toBe(true);
    for (const p of [first, wide]) {
      expect(chooseImplicit('forward', p, true, 'auto')).toBe(true);
      expect(chooseImplicit('backwardWeight', p, true, 'auto')).toBe(true);
    }
    const deep = convParams({ n: 4, inC: IMPLICIT_MAX_DEPTH / 8, outC: 32, inH: 8, inW: 8 });
    expect(chooseImplicit('forward', deep, true, 'auto')).toBe(false);
    expect(chooseImplicit('forward', deep, true, 'implicit')).toBe(true);
  });
  it("never without SIMD, with 'packed', or where they do not apply", () => {
    expect(chooseImplicit('forward', down, false, 'implicit')).toBe(false);
    expect(chooseImplicit('forward', down, true, 'packed')).toBe(false);
    expect(chooseImplicit('forward', wide, true, 'implicit')).toBe(true);
    // the stride-1 input gradient has its own algorithms; odd widths and 6 channels do not tile
    expect(implicitApplies('backwardInput', wide)).toBe(false);
    expect(implicitApplies('forward', convParams({ inW: 7, outC: 4 }))).toBe(false);
    expect(implicitApplies('backwardWeight', convParams({ inW: 8, outC: 12 }))).toBe(false);
  });
});
