/**
 * WebGPU reductions, softmax, indexing, pooling, the fused GM loss and the optimizer steps against
 * naive references (the GM loss against the CPU backend in float64, which implements
 * ../shared/docs/gm-loss.md): ties and NaN in argmax/argmin and max-pooling, the split path of long
 * reductions, empty reductions, overlapping and padded pooling windows (countIncludePad both
 * ways), deterministic scatterAdd, every GM likelihood with identity and diagonal covariance,
 * SGD (momentum, dampening, Nesterov, weight decay, first step) and Adam/AdamW over several steps.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import type { GMLikelihood, GMLossParams, Pool2dParams, ReduceOp } from '../../src/core/backend.js';
import { createTestBackend, expectClose, randomF32, randomI32, rng } from './webgpu-helpers.js';

const gpu = await createTestBackend();
// the GPU kernel variants (tiled GM distances, subgroup rows) forced on this adapter
const gpuHardware = await createTestBackend({ webgpuKernels: 'hardware' });
const cpu = new CpuBackend();
afterAll(() => { gpu?.dispose(); gpuHardware?.dispose(); });

function naiveReduce(op: ReduceOp, x: ArrayLike<number>, outer: number, red: number, inner: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const row = Array.from({ length: red }, (_, r) => x[(o * red + r) * inner + i]!);
    switch (op) {
      case 'sum': out.push(row.reduce((a, b) => a + b, 0)); break;
      case 'prod': out.push(row.reduce((a, b) => a * b, 1)); break;
      case 'max': out.push(row.some(Number.isNaN) ? NaN : Math.max(-Infinity, ...row)); break;
      case 'min': out.push(row.some(Number.isNaN) ? NaN : Math.min(Infinity, ...row)); break;
      case 'argmax': case 'argmin': {
        const nan = row.findIndex(Number.isNaN);
        if (nan >= 0) { out.push(nan); break; }
        let at = 0;
        for (let r = 1; r < red; r++) if (op === 'argmax' ? row[r]! > row[at]! : row[r]! < row[at]!) at = r;
        out.push(at);
      }
    }
  }
  return out;
}

describe.skipIf(!gpu)('webgpu reductions, softmax and indexing', () => {
  const b = gpu!;
  const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];

  it('reduce over [outer, reduce, inner] for fast-check shapes, ties going to the first index', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ outer: fc.integer({ min: 1, max: 5 }), red: fc.integer({ min: 1, max: 300 }), inner: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 1, max: 1e6 }) }),
      async ({ outer, red, inner, seed }) => {
        // few distinct values: ties everywhere
        const x = Float32Array.from(randomI32(outer * red * inner, seed, -3, 4), (v) => v * 0.5);
        const X = b.upload(x);
        for (const op of OPS) {
          if (op === 'prod' && red > 20) continue;
          const got = await b.read(b.reduce(op, X, outer, red, inner));
          expectClose(`${op} [${outer}, ${red}, ${inner}]`, got, naiveReduce(op, x, outer, red, inner), 1e-5, 1e-5);
        }
        b.free(X);
      }), { numRuns: 8, seed: 1 });
  });

  it('long reductions with few outputs run as chunked partials (values and argmax indices)', async () => {
    const n = 50_000;
    const x = randomF32(2 * n, 2, -1, 1);
    x[2 * n - 7] = 5; x[123] = 5; // a tie in row 0 (index 123) vs row 1 (index n - 7)
    x[n + 10] = 5;
    const X = b.upload(x);
    const sum = await b.read(b.reduce('sum', X, 2, n, 1));
    expectClose('sum', sum, naiveReduce('sum', x, 2, n, 1), 1e-5, 1e-3);
    expect([...await b.read(b.reduce('argmax', X, 2, n, 1))]).toEqual([123, 10]);
    expectClose('max', await b.read(b.reduce('max', X, 2, n, 1)), [5, 5]);
    const y = randomF32(3 * n, 3);
    y[2 * 3 + 1] = NaN; // column 1 of the [n, 3] matrix holds a NaN at row 2
    const Y = b.upload(y);
    expect([...await b.read(b.reduce('argmin', Y, 1, n, 3))]).toEqual(naiveReduce('argmin', y, 1, n, 3));
    expect((await b.read(b.reduce('max', Y, 1, n, 3)))[1]).toBeNaN();
    // the same result twice: the chunking is fixed, so the float sums are reproducible
    const again = await b.read(b.reduce('sum', X, 2, n, 1));
    expect([...again]).toEqual([...sum]);
  });

  it('NaN wins max/argmax, int32 reductions, and empty reductions give the identity', async () => {
    const x = Float32Array.from([1, NaN, 3, NaN, 2, 5]);
    const X = b.upload(x);
    expect([...await b.read(b.reduce('argmax', X, 1, 6, 1))]).toEqual([1]);
    expect([...await b.read(b.reduce('argmin', X, 2, 3, 1))]).toEqual([1, 0]);
    expect((await b.read(b.reduce('min', X, 1, 6, 1)))[0]).toBeNaN();
    const xi = Int32Array.from([5, -7, 3, 9, 9, -7]);
    const XI = b.upload(xi);
    for (const op of OPS) expect([...await b.read(b.reduce(op, XI, 2, 3, 1))], op).toEqual(naiveReduce(op, xi, 2, 3, 1));
    const E = b.upload(new Float32Array(0));
    expect([...await b.read(b.reduce('sum', E, 2, 0, 3))]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...await b.read(b.reduce('prod', E, 1, 0, 2))]).toEqual([1, 1]);
    expect([...await b.read(b.reduce('max', E, 1, 0, 1))]).toEqual([-Infinity]);
    expect([...await b.read(b.reduce('argmin', E, 1, 0, 2))]).toEqual([0, 0]);
    expect((await b.read(b.reduce('sum', E, 0, 5, 0))).length).toBe(0);
    expect(() => b.reduce('sum', X, 2, 2, 2)).toThrow(/webgpu\.reduce\(sum\): x has 6 elements, expected 8/);
  });

  it('softmax and log-softmax over short and long rows (row max subtracted; NaN and -inf rows give NaN)', async () => {
    for (const [rows, cols] of [[7, 10], [3, 300], [2, 1], [1, 2000]] as const) {
      const x = randomF32(rows * cols, rows * cols, -30, 30);
      if (cols === 10) { x[3] = NaN; x.fill(-Infinity, 10, 20); x[25] = 1e4; }
      const X = b.upload(x), XR = cpu.upload(Float64Array.from(x));
      for (const log of [false, true]) {
        expectClose(`${log ? 'log' : ''}softmax ${rows}×${cols}`, await b.read(b.softmax(X, rows, cols, log)), cpu.readSync(cpu.softmax(XR, rows, cols, log)), 1e-5, 1e-6);
      }
    }
  });

  it('gather and deterministic scatterAdd along the middle axis (repeated indices add up)', async () => {
    const [outer, axis, inner, count] = [3, 5, 4, 7];
    const x = randomF32(outer * axis * inner, 4);
    const index = randomI32(outer * count * inner, 5, 0, axis);
    const got = await b.read(b.gather(b.upload(x), b.upload(index), outer, axis, inner, count));
    const want = Array.from(index, (k, t) => { const o = Math.floor(t / (count * inner)), i = t % inner; return x[(o * axis + k) * inner + i]!; });
    expect([...got]).toEqual(want);
    const src = randomF32(outer * count * inner, 6);
    const sum = new Float64Array(outer * axis * inner);
    index.forEach((k, t) => { const o = Math.floor(t / (count * inner)), i = t % inner; sum[(o * axis + k) * inner + i] += src[t]!; });
    expectClose('scatterAdd', await b.read(b.scatterAdd(b.upload(src), b.upload(index), outer, axis, inner, count)), sum, 1e-6, 1e-6);
    const srcI = randomI32(outer * count * inner, 7, -9, 9);
    const sumI = new Array(outer * axis * inner).fill(0);
    index.forEach((k, t) => { const o = Math.floor(t / (count * inner)), i = t % inner; sumI[(o * axis + k) * inner + i] += srcI[t]!; });
    expect([...await b.read(b.scatterAdd(b.upload(srcI), b.upload(index), outer, axis, inner, count))]).toEqual(sumI);
    // int32 gather, and an out-of-range index reads as NaN (the GPU cannot throw)
    const xi = randomI32(10, 8, -100, 100);
    expect([...await b.read(b.gather(b.upload(xi), b.upload(Int32Array.from([9, 0, 3])), 1, 10, 1, 3))]).toEqual([xi[9], xi[0], xi[3]]);
    expect((await b.read(b.gather(b.upload(x.subarray(0, 5)), b.upload(Int32Array.from([5])), 1, 5, 1, 1)))[0]).toBeNaN();
    expect([...await b.read(b.scatterAdd(b.upload(new Float32Array(0)), b.upload(new Int32Array(0)), 2, 3, 1, 0))]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

function poolParams(q: Omit<Pool2dParams, 'outH' | 'outW'>, ceil = false): Pool2dParams {
  const size = (n: number, k: number, s: number, p: number) => (ceil ? Math.ceil : Math.floor)((n + 2 * p - k) / s) + 1;
  return { ...q, outH: size(q.inH, q.kH, q.strideH, q.padTop), outW: size(q.inW, q.kW, q.strideW, q.padLeft) };
}

function naiveMaxPool(x: ArrayLike<number>, p: Pool2dParams, dy: ArrayLike<number>) {
  const out: number[] = [], arg: number[] = [];
  const dx = new Float64Array(p.n * p.c * p.inH * p.inW);
  for (let pl = 0; pl < p.n * p.c; pl++) for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
    let best = -Infinity, at = -1;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const h = oy * p.strideH - p.padTop + ky, w = ox * p.strideW - p.padLeft + kx;
      if (h < 0 || h >= p.inH || w < 0 || w >= p.inW) continue;
      const v = x[pl * p.inH * p.inW + h * p.inW + w]!;
      if (at < 0 || v > best || (Number.isNaN(v) && !Number.isNaN(best))) { best = v; at = h * p.inW + w; }
    }
    const o = out.length;
    out.push(best); arg.push(at);
    dx[pl * p.inH * p.inW + at] += dy[o]!;
  }
  return { out, arg, dx };
}

function naiveAvgPool(x: ArrayLike<number>, p: Pool2dParams, dy: ArrayLike<number>) {
  const out: number[] = [];
  const dx = new Float64Array(p.n * p.c * p.inH * p.inW);
  for (let pl = 0; pl < p.n * p.c; pl++) for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
    const hs = oy * p.strideH - p.padTop, ws = ox * p.strideW - p.padLeft;
    const cells: number[] = [];
    for (let h = Math.max(hs, 0); h < Math.min(hs + p.kH, p.inH); h++) for (let w = Math.max(ws, 0); w < Math.min(ws + p.kW, p.inW); w++) cells.push(pl * p.inH * p.inW + h * p.inW + w);
    const div = p.countIncludePad ? (Math.min(hs + p.kH, p.inH + p.padTop) - hs) * (Math.min(ws + p.kW, p.inW + p.padLeft) - ws) : cells.length;
    const o = out.length;
    out.push(cells.reduce((s, i) => s + x[i]!, 0) / div);
    for (const i of cells) dx[i] += dy[o]! / div;
  }
  return { out, dx };
}

describe.skipIf(!gpu)('webgpu pooling', () => {
  const b = gpu!;
  const poolCase = fc.record({
    n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), inH: fc.integer({ min: 1, max: 9 }), inW: fc.integer({ min: 1, max: 9 }),
    kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }), strideH: fc.integer({ min: 1, max: 3 }), strideW: fc.integer({ min: 1, max: 3 }),
    padTop: fc.integer({ min: 0, max: 2 }), padLeft: fc.integer({ min: 0, max: 2 }), countIncludePad: fc.boolean(), ceil: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
  }).map(({ ceil, ...q }) => poolParams(q, ceil))
    .filter((p) => p.padTop < p.kH && p.padLeft < p.kW && p.outH > 0 && p.outW > 0 && (p.outH - 1) * p.strideH - p.padTop < p.inH && (p.outW - 1) * p.strideW - p.padLeft < p.inW);

  it('max and average pooling forward and backward with overlapping, padded and ceil-mode windows (fast-check)', async () => {
    await fc.assert(fc.asyncProperty(poolCase, async (p) => {
      const seed = (p as Pool2dParams & { seed: number }).seed;
      // quantised values: ties in most windows (the first maximum must win)
      const x = Float32Array.from(randomI32(p.n * p.c * p.inH * p.inW, seed, 0, 4));
      const dy = randomF32(p.n * p.c * p.outH * p.outW, seed + 1);
      const X = b.upload(x), D = b.upload(dy);
      const mx = naiveMaxPool(x, p, dy), av = naiveAvgPool(x, p, dy);
      const { out, argmax } = b.maxPool2d(X, p);
      expect([...await b.read(out)]).toEqual(mx.out);
      expect([...await b.read(argmax)]).toEqual(mx.arg);
      expectClose('maxPool backward', await b.read(b.maxPool2dBackward(D, argmax, p)), mx.dx, 1e-6, 1e-6);
      expectClose('avgPool', await b.read(b.avgPool2d(X, p)), av.out, 1e-6, 1e-6);
      expectClose('avgPool backward', await b.read(b.avgPool2dBackward(D, p)), av.dx, 1e-6, 1e-6);
    }), { numRuns: 15, seed: 2 });
  });

  it('a NaN wins its max-pool window; padding never wins even against negative values', async () => {
    const p = poolParams({ n: 1, c: 1, inH: 2, inW: 4, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, countIncludePad: true });
    const x = Float32Array.from([-5, -6, NaN, 1, -7, -8, 2, 3]);
    const { out, argmax } = b.maxPool2d(b.upload(x), p);
    const o = await b.read(out);
    expect([o[0], o[2], o[3], o[5]]).toEqual([-5, 1, -7, 3]);
    expect(o[1]).toBeNaN();
    expect([...await b.read(argmax)]).toEqual([0, 2, 3, 4, 6, 7]);
    expect(() => b.maxPool2d(b.upload(x), { ...p, padTop: 2 })).toThrow(/covers only padding/);
  });
});

describe.each([['software', gpu], ['hardware', gpuHardware]] as const)('webgpu GM loss, %s kernels (fused forward and backward against the float64 CPU reference)', (_family, backend) => {
  const b = backend!;
  const cases: [string, GMLossParams][] = [];
  for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as GMLikelihood[]) {
    for (const diagonal of [false, true]) {
      cases.push([`${likelihood}${diagonal ? ' diagonal' : ''}`, { n: 13, k: 10, d: 6, alpha: 0.7, lambda: 0.3, likelihood, diagonal }]);
    }
  }
  cases.push(['2-D features, 100 classes (more classes than lanes)', { n: 5, k: 100, d: 2, alpha: 1, lambda: 0.1, likelihood: 'true-class', diagonal: false }]);
  cases.push(['one sample, one class, 100-D', { n: 1, k: 1, d: 100, alpha: 0, lambda: 0, likelihood: 'true-class', diagonal: true }]);

  it.skipIf(!backend).each(cases)('%s', async (_name, p) => {
    const r = rng(p.n * 100 + p.k);
    const x = randomF32(p.n * p.d, p.k, -2, 2), means = randomF32(p.k * p.d, p.d, -2, 2);
    const logVar = p.diagonal ? randomF32(p.k * p.d, 3, -0.5, 0.5) : null;
    const labels = Int32Array.from({ length: p.n }, () => Math.floor(r() * p.k));
    if (p.k === 10) { means.set(x.subarray(0, p.d), 4 * p.d); labels[0] = 4; } // x ≈ μ: distance 0
    const G = Float32Array.from([1.7]);
    const f64 = (a: Float32Array) => cpu.upload(Float64Array.from(a));
    const ref = cpu.gmForward(f64(x), f64(means), logVar ? f64(logVar) : null, cpu.upload(labels), p);
    const got = b.gmForward(b.upload(x), b.upload(means), logVar ? b.upload(logVar) : null, b.upload(labels), p);
    const rd = (s: typeof ref.loss) => cpu.readSync(s);
    expectClose('loss', await b.read(got.loss), rd(ref.loss), 1e-5, 1e-5);
    expectClose('logits', await b.read(got.logits), rd(ref.logits), 1e-5, 1e-5);
    expectClose('logSumExp', await b.read(got.logSumExp), rd(ref.logSumExp), 1e-5, 1e-5);
    expect([...await b.read(got.prediction)]).toEqual([...rd(ref.prediction)]);
    expectClose('score', await b.read(got.score), rd(ref.score), 1e-5, 1e-5);
    const refB = cpu.gmBackward(f64(x), f64(means), logVar ? f64(logVar) : null, cpu.upload(labels), ref.logSumExp, f64(G), p);
    const gotB = b.gmBackward(b.upload(x), b.upload(means), logVar ? b.upload(logVar) : null, b.upload(labels), got.logSumExp, b.upload(G), p);
    expectClose('dx', await b.read(gotB.dx), rd(refB.dx), 1e-4, 1e-5);
    expectClose('dMeans', await b.read(gotB.dMeans), rd(refB.dMeans), 1e-4, 1e-5);
    if (p.diagonal) expectClose('dLogVar', await b.read(gotB.dLogVar!), rd(refB.dLogVar!), 1e-4, 1e-5);
    else expect(gotB.dLogVar).toBeUndefined();
  });

  it.skipIf(!backend)('an out-of-range label makes the loss NaN instead of a plausible number; argument errors name the kernel', async () => {
    const p: GMLossParams = { n: 2, k: 3, d: 2, alpha: 0, lambda: 0.1, likelihood: 'true-class', diagonal: false };
    const got = b.gmForward(b.upload(randomF32(4, 1)), b.upload(randomF32(6, 2)), null, b.upload(Int32Array.from([0, 3])), p);
    expect((await b.read(got.loss))[0]).toBeNaN();
    expect(() => b.gmForward(b.upload(randomF32(4, 1)), b.upload(randomF32(6, 2)), null, b.upload(Int32Array.from([0, 1])), { ...p, diagonal: true }))
      .toThrow(/webgpu\.gmForward: diagonal covariance needs logVar/);
  });
});

describe.skipIf(!gpu)('webgpu batch norm (training) against the float64 reference', () => {
  const b = gpu!;
  it('channels longer than a workgroup, with and without weight and bias; argument errors are WebGpuErrors naming the kernel', async () => {
    const rd = (s: import('../../src/core/backend.js').Storage) => cpu.readSync(s) as Float64Array;
    for (const [outer, c, inner, affine] of [[3, 4, 130, true], [5, 3, 7, false]] as const) {
      const p = { outer, c, inner, eps: 1e-5 };
      const n = outer * c * inner;
      const x = Float32Array.from(randomF32(n, 3), (v) => 2 * v + 0.5), dy = randomF32(n, 4);
      const w = affine ? randomF32(c, 5) : null, bias = affine ? randomF32(c, 6) : null;
      const f64 = (a: Float32Array | null) => (a ? cpu.upload(Float64Array.from(a)) : null);
      const ref = cpu.batchNormForward(f64(x)!, f64(w), f64(bias), p);
      const got = b.batchNormForward(b.upload(x), w && b.upload(w), bias && b.upload(bias), p);
      expectClose('out', await b.read(got.out), rd(ref.out), 1e-4, 1e-5);
      expectClose('mean', await b.read(got.mean), rd(ref.mean), 1e-5, 1e-6);
      expectClose('variance', await b.read(got.variance), rd(ref.variance), 1e-4, 1e-6);
      const refB = cpu.batchNormBackward(f64(dy)!, f64(x)!, ref.mean, ref.variance, f64(w), p);
      const gotB = b.batchNormBackward(b.upload(dy), b.upload(x), got.mean, got.variance, w && b.upload(w), p);
      expectClose('dx', await b.read(gotB.dx), rd(refB.dx), 1e-4, 1e-4);
      expectClose('dWeight', await b.read(gotB.dWeight), rd(refB.dWeight), 1e-4, 1e-4);
      expectClose('dBias', await b.read(gotB.dBias), rd(refB.dBias), 1e-4, 1e-4);
    }
    expect(() => b.batchNormForward(b.upload(randomF32(10, 1)), null, null, { outer: 2, c: 3, inner: 2, eps: 1e-5 }))
      .toThrow(expect.objectContaining({ name: 'WebGpuError', message: expect.stringMatching(/webgpu\.batchNormForward: x has 10 elements, expected 12/) }));
  });
});

describe.skipIf(!gpu)('webgpu optimizer steps (PyTorch semantics, in place)', () => {
  const b = gpu!;
  const n = 300;

  it('SGD: plain, momentum with dampening, Nesterov, weight decay, first step, momentum 0 leaves the buffer', async () => {
    for (const cfg of [
      { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
      { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3, nesterov: false },
      { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true },
    ]) {
      const p0 = randomF32(n, 1), grads = [randomF32(n, 2), randomF32(n, 3), randomF32(n, 4)];
      const P = b.upload(p0), B = b.upload(randomF32(n, 9));
      const w = Float64Array.from(p0), buf = new Float64Array(n);
      grads.forEach((g, step) => {
        b.sgdStep(P, b.upload(g), cfg.momentum ? B : null, { ...cfg, firstStep: step === 0 });
        for (let i = 0; i < n; i++) {
          let d = g[i]! + cfg.weightDecay * w[i]!;
          if (cfg.momentum) {
            buf[i] = step === 0 ? d : cfg.momentum * buf[i]! + (1 - cfg.dampening) * d;
            d = cfg.nesterov ? d + cfg.momentum * buf[i]! : buf[i]!;
          }
          w[i] -= cfg.lr * d;
        }
      });
      expectClose(`sgd ${JSON.stringify(cfg)}`, await b.read(P), w, 1e-5, 1e-6);
      if (cfg.momentum) expectClose('momentum buffer', await b.read(B), buf, 1e-5, 1e-6);
    }
    const B = b.upload(Float32Array.from([7, 7]));
    b.sgdStep(b.upload(Float32Array.from([1, 2])), b.upload(Float32Array.from([1, 1])), B, { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false });
    expect([...await b.read(B)]).toEqual([7, 7]);
  });

  it('Adam and AdamW over four steps with bias correction', async () => {
    for (const decoupled of [false, true]) {
      const cfg = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled };
      const p0 = randomF32(n, 5);
      const P = b.upload(p0), M = b.alloc(n, 'float32'), V = b.alloc(n, 'float32');
      const w = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
      for (let step = 1; step <= 4; step++) {
        const g = randomF32(n, 10 + step);
        b.adamStep(P, b.upload(g), M, V, { ...cfg, step });
        for (let i = 0; i < n; i++) {
          const wi = w[i]! * (decoupled ? 1 - cfg.lr * cfg.weightDecay : 1);
          const gi = g[i]! + (decoupled ? 0 : cfg.weightDecay) * wi;
          m[i] = cfg.beta1 * m[i]! + (1 - cfg.beta1) * gi;
          v[i] = cfg.beta2 * v[i]! + (1 - cfg.beta2) * gi * gi;
          w[i] = wi - (cfg.lr / (1 - cfg.beta1 ** step)) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - cfg.beta2 ** step) + cfg.eps);
        }
      }
      expectClose(`adam decoupled=${decoupled}`, await b.read(P), w, 1e-4, 1e-6);
      expectClose('m', await b.read(M), m, 1e-4, 1e-7);
      expectClose('v', await b.read(V), v, 1e-4, 1e-9);
    }
    expect(() => b.adamStep(b.alloc(2, 'float32'), b.alloc(2, 'float32'), b.alloc(2, 'float32'), b.alloc(3, 'float32'), { lr: 1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 }))
      .toThrow(/webgpu\.adamStep: v has 3 elements, expected 2/);
  });
});
