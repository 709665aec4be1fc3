/**
 * Winograd convolutions of the wasm backend (forward, input gradient, weight gradient; F(2×2, r×r)
 * and F(4×4, r×r) for r = 3, 5) against the float64 reference at the zoo's layer shapes and at odd
 * ones (channels not a multiple of 4, tiles overhanging the output, padding 0 and r − 1), on one
 * thread, on two, and with mul + add instead of relaxed madd.
 *
 * The error bound: Winograd's transforms add and subtract partial products of very different size,
 * so its error grows with the tile (Lavin & Gray 2016; Barabasz et al. 2018) and is best measured
 * against Σ|x·w|, the sum of magnitudes each output adds up (which also bounds direct summation's
 * error: float32 direct sums stay within ~4e-7 of it here). Measured worst cases over the shapes
 * below: F(2, 3) 2e-7, F(2, 5) 4e-6, F(4, 3) 4e-6, F(4, 5) 6e-6 (the weight gradient, which sums
 * over images and tiles, is the largest); asserted: 2e-5 for m = 2 and 5e-5 for m = 4.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dParams } from '../../src/core/backend.js';
import { chooseConvAlgorithm, winogradApplies } from '../../src/backends/wasm/conv-algorithm.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import { WasmKernels, type WasmKernelOptions } from '../../src/backends/wasm/calls/kernel-calls.js';
import { winogradMatrices } from '../../src/backends/wasm/kernels/winograd-matrices.js';
import { convIndexLoop } from '../helpers/reference-kernels.js';
import { rng } from '../helpers/seeded-rng.js';

const simd = probeFeatures().simd;

function conv(n: number, inC: number, outC: number, h: number, w: number, r: number, pad: number): Conv2dParams {
  return {
    n, inC, outC, inH: h, inW: w, kH: r, kW: r, outH: h + 2 * pad - r + 1, outW: w + 2 * pad - r + 1,
    strideH: 1, strideW: 1, padTop: pad, padLeft: pad, dilationH: 1, dilationW: 1, groups: 1,
  };
}

const SHAPES: Array<[string, Conv2dParams]> = [
  ['ResNet-20 stage 1 (16→16, 32²)', conv(2, 16, 16, 32, 32, 3, 1)],
  ['ResNet-20 stage 2 (32→32, 16²)', conv(2, 32, 32, 16, 16, 3, 1)],
  ['ResNet-20 stage 3 (64→64, 8²)', conv(2, 64, 64, 8, 8, 3, 1)],
  ['mnist-6conv 2 (32→32, 28², 5×5)', conv(2, 32, 32, 28, 28, 5, 2)],
  ['mnist-6conv 3 (32→64, 14², 5×5)', conv(2, 32, 64, 14, 14, 5, 2)],
  ['mnist-6conv 6 (128→128, 7², 5×5)', conv(2, 128, 128, 7, 7, 5, 2)],
  ['odd channels, overhanging tiles (5→7, 9²)', conv(3, 5, 7, 9, 9, 3, 1)],
  ['no padding (4→6, 6×11)', conv(1, 4, 6, 6, 11, 3, 0)],
  ['padding r − 1 (9→6, 5²)', conv(5, 9, 6, 5, 5, 3, 2)],
  ['5×5, padding 1 (8→12, 7×10)', conv(2, 8, 12, 7, 10, 5, 1)],
  ['rows of 4, every tile over the border (5→6, 3×4)', conv(3, 5, 6, 3, 4, 3, 1)],
];

const CONFIGS: Array<[string, WasmKernelOptions]> = [
  ['1 thread', { threads: 1 }],
  ['2 threads', { threads: 2, parallelThreshold: 0 }],
  ['2 threads, mul + add (no relaxed madd)', { threads: 2, parallelThreshold: 0, relaxedMadd: false }],
];

interface Reference { y: Float64Array; dx: Float64Array; dw: Float64Array; yMag: Float64Array; dxMag: Float64Array; dwMag: Float64Array }

function random(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() - 0.5);
}

/** y, dx, dw and, per element, the sum of the magnitudes of its terms (float64) */
function reference(p: Conv2dParams, x: Float32Array, w: Float32Array, dy: Float32Array): Reference {
  const y = new Float64Array(dy.length), dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  const yMag = new Float64Array(dy.length), dxMag = new Float64Array(x.length), dwMag = new Float64Array(w.length);
  convIndexLoop(p, (xi, wi, yi) => {
    const xw = x[xi]! * w[wi]!, dyw = dy[yi]! * w[wi]!, xdy = x[xi]! * dy[yi]!;
    y[yi] += xw; yMag[yi] += Math.abs(xw);
    dx[xi] += dyw; dxMag[xi] += Math.abs(dyw);
    dw[wi] += xdy; dwMag[wi] += Math.abs(xdy);
  });
  return { y, dx, dw, yMag, dxMag, dwMag };
}

/** the worst |got − exact| / Σ|terms| */
function worstError(got: Float32Array, exact: Float64Array, magnitude: Float64Array): number {
  expect(got.length).toBe(exact.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - exact[i]!);
    // an element no term reaches is 0 (Winograd's transforms may leave a rounding residue)
    const relative = magnitude[i]! > 0 ? e / magnitude[i]! : e / 1e-3;
    if (!(relative <= worst)) worst = relative;
  }
  return worst;
}

describe('Winograd transform matrices', () => {
  it.each([[2, 3], [4, 3], [2, 5], [4, 5], [3, 2], [5, 4]])('F(%i, %i) computes an r-tap correlation exactly (float64)', (m, r) => {
    const W = winogradMatrices(m, r);
    const next = rng(m * 10 + r);
    for (let trial = 0; trial < 5; trial++) {
      const g = Array.from({ length: r }, () => next() - 0.5), d = Array.from({ length: W.alpha }, () => next() - 0.5);
      const u = W.G.map((row) => row.reduce((s, v, k) => s + v * g[k]!, 0));
      const v = W.BT.map((row) => row.reduce((s, c, k) => s + c * d[k]!, 0));
      for (let i = 0; i < m; i++) {
        const y = W.AT[i]!.reduce((s, c, k) => s + c * u[k]! * v[k]!, 0);
        const exact = g.reduce((s, gk, k) => s + gk * d[i + k]!, 0);
        expect(Math.abs(y - exact)).toBeLessThan(1e-14);
      }
    }
  });

  it('keeps the per-tile input transform integral for the 3×3 and 5×5 tiles it runs', () => {
    for (const [m, r] of [[2, 3], [4, 3], [2, 5]]) {
      for (const row of winogradMatrices(m!, r!).BT) for (const c of row) expect(Number.isInteger(c)).toBe(true);
    }
  });

  it('refuses a tile with no evaluation points', () => {
    expect(() => winogradMatrices(8, 5)).toThrow(/F\(8, 5\).*α = 12/);
  });
});

describe('the algorithm chooser', () => {
  const base = conv(8, 32, 32, 16, 16, 3, 1);
  it('picks Winograd only where it applies', () => {
    expect(winogradApplies(base)).toBe(true);
    for (const q of [{ strideH: 2, strideW: 2 }, { dilationH: 2 }, { groups: 2 }, { kH: 1, kW: 1 }, { kW: 5 }, { kH: 7, kW: 7 }, { padTop: 3 },
      { inW: 3 }, { outW: 3 }]) {
      expect(winogradApplies({ ...base, ...q })).toBe(false);
    }
  });
  it('leaves few channels, the scalar module and the direct option to the direct algorithm', () => {
    expect(chooseConvAlgorithm(base, true, 'auto')).toEqual({ m: 4, r: 3 });
    expect(chooseConvAlgorithm({ ...base, inC: 3 }, true, 'auto')).toBeNull();
    expect(chooseConvAlgorithm(base, false, 'auto')).toBeNull();
    expect(chooseConvAlgorithm(base, true, 'direct')).toBeNull();
    expect(chooseConvAlgorithm({ ...base, inC: 3 }, true, 'winograd2')).toEqual({ m: 2, r: 3 });
    expect(chooseConvAlgorithm({ ...base, strideH: 2, strideW: 2 }, true, 'winograd4')).toBeNull();
  });
});

const references = new Map<string, { x: Float32Array; w: Float32Array; dy: Float32Array; ref: Reference }>();
function inputs(name: string, p: Conv2dParams) {
  let e = references.get(name);
  if (!e) {
    const x = random(p.n * p.inC * p.inH * p.inW, 1), w = random(p.outC * p.inC * p.kH * p.kW, 2), dy = random(p.n * p.outC * p.outH * p.outW, 3);
    e = { x, w, dy, ref: reference(p, x, w, dy) };
    references.set(name, e);
  }
  return e;
}

for (const [configName, opts] of CONFIGS) {
  describe.skipIf(!simd)(`Winograd convolutions, ${configName}`, () => {
    const kernels = new Map<string, WasmKernels>();
    beforeAll(async () => {
      for (const algorithm of ['winograd2', 'winograd4'] as const) {
        kernels.set(algorithm, await WasmKernels.create({ ...opts, convAlgorithm: algorithm, quiet: true }));
      }
    });
    afterAll(() => { for (const k of kernels.values()) k.dispose(); });

    for (const [m, algorithm, bound] of [[2, 'winograd2', 2e-5], [4, 'winograd4', 5e-5]] as const) {
      it.each(SHAPES)(`F(${m}, r): %s`, (name, p) => {
        const K = kernels.get(algorithm)!;
        const { x, w, dy, ref } = inputs(name, p);
        const errors = {
          forward: worstError(K.conv2d(x, w, p), ref.y, ref.yMag),
          inputGrad: worstError(K.conv2dBackwardInput(dy, w, p), ref.dx, ref.dxMag),
          weightGrad: worstError(K.conv2dBackwardWeight(x, dy, p), ref.dw, ref.dwMag),
        };
        for (const e of Object.values(errors)) expect(e).toBeLessThan(bound);
      });
    }

    it('gives the same bits on every run (weight-gradient sums in a fixed order)', () => {
      const K = kernels.get('winograd4')!;
      const [name, p] = SHAPES[1]!;
      const { x, dy, w } = inputs(name, p);
      expect(K.conv2dBackwardWeight(x, dy, p)).toEqual(K.conv2dBackwardWeight(x, dy, p));
      expect(K.conv2d(x, w, p)).toEqual(K.conv2d(x, w, p));
    });
  });
}

describe.skipIf(!simd)("the 'measure' choice", () => {
  it('times the candidates once per pass and shape, keeps one, and its results are right', async () => {
    const K = await WasmKernels.create({ threads: 1, convAlgorithm: 'measure', quiet: true });
    try {
      const [name, p] = SHAPES[1]!;
      const { x, w, dy, ref } = inputs(name, p);
      for (let i = 0; i < 2; i++) {
        expect(worstError(K.conv2d(x, w, p), ref.y, ref.yMag)).toBeLessThan(5e-5);
        expect(worstError(K.conv2dBackwardInput(dy, w, p), ref.dx, ref.dxMag)).toBeLessThan(5e-5);
        expect(worstError(K.conv2dBackwardWeight(x, dy, p), ref.dw, ref.dwMag)).toBeLessThan(5e-5);
      }
      // the second calls reuse the choice: the same bits again
      expect(K.conv2d(x, w, p)).toEqual(K.conv2d(x, w, p));
    } finally {
      K.dispose();
    }
  });
});

describe.skipIf(!simd)('Winograd inputs outside the heap', () => {
  it('copies plain arrays in and results out (as the direct kernels do)', async () => {
    const K = await WasmKernels.create({ threads: 1, convAlgorithm: 'winograd4', sharedMemory: false, quiet: true });
    try {
      const [name, p] = SHAPES[6]!;
      const { x, w, dy, ref } = inputs(name, p);
      expect(worstError(K.conv2d(x, w, p), ref.y, ref.yMag)).toBeLessThan(5e-5);
      expect(worstError(K.conv2dBackwardInput(dy, w, p), ref.dx, ref.dxMag)).toBeLessThan(5e-5);
      expect(worstError(K.conv2dBackwardWeight(x, dy, p), ref.dw, ref.dwMag)).toBeLessThan(5e-5);
    } finally {
      K.dispose();
    }
  });
});
