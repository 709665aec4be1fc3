/**
 * The CPU reference kernels against tiny naive references written here (plain index loops in
 * float64): elementwise ops through strided views, reductions, matmul, convolution, pooling,
 * indexing and softmax, in float64 (tight tolerances) and float32 (rounded once).
 */
import { describe, expect, it } from 'vitest';
import type { BinaryOp, Conv2dParams, Pool2dParams, ReduceOp, StridedView, UnaryOp } from '../../src/core/backend.js';
import type { DType } from '../../src/core/dtype.js';
import { erf, erfc } from '../../src/backends/cpu/erf.js';
import { backend as b, expectClose, indices, offsetOf, randomArray, read, rng, up } from './cpu-helpers.js';
import { naiveConv } from '../helpers/reference-kernels.js';

// ---------------------------------------------------------------- elementwise

/** double-precision erf for the references: the all-positive series (fine for |x| < 6) */
function refErf(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 400; n++) { term *= (2 * x * x) / (2 * n + 1); sum += term; if (Math.abs(term) < 1e-18 * Math.abs(sum)) break; }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const UNARY_REF: Record<UnaryOp, [(x: number, p: number[]) => number, number[]]> = {
  neg: [(x) => -x, []], abs: [Math.abs, []], sign: [(x) => (x > 0 ? 1 : x < 0 ? -1 : 0), []],
  exp: [Math.exp, []], log: [Math.log, []], log1p: [Math.log1p, []], sqrt: [Math.sqrt, []],
  rsqrt: [(x) => 1 / Math.sqrt(x), []], square: [(x) => x * x, []], reciprocal: [(x) => 1 / x, []],
  sin: [Math.sin, []], cos: [Math.cos, []], tanh: [Math.tanh, []], sigmoid: [(x) => 1 / (1 + Math.exp(-x)), []],
  relu: [(x) => Math.max(x, 0), []], gelu: [(x) => 0.5 * x * (1 + refErf(x / Math.SQRT2)), []],
  softplus: [(x) => (x > 20 ? x : Math.log(1 + Math.exp(x))), []], floor: [Math.floor, []],
  isfinite: [(x) => (Number.isFinite(x) ? 1 : 0), []], leakyRelu: [(x, p) => (x > 0 ? x : p[0]! * x), [0.1]],
  clamp: [(x, p) => Math.min(Math.max(x, p[0]!), p[1]!), [-0.5, 0.75]], powScalar: [(x, p) => Math.pow(x, p[0]!), [3]],
  affine: [(x, p) => p[0]! * x + p[1]!, [2.5, -1]], inRange: [(x, p) => (x >= p[0]! && x <= p[1]! ? 1 : 0), [-0.5, 0.5]],
  geluGrad: [(x) => 0.5 * (1 + refErf(x / Math.SQRT2)) + (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI), []],
};

describe('unary', () => {
  const xs = [...randomArray(40, 1, -4, 4), 0, -0, 0.5, -0.5, 1, -1, 3.25];
  it('every op matches its formula in float64', () => {
    for (const op of Object.keys(UNARY_REF) as UnaryOp[]) {
      const [f, params] = UNARY_REF[op];
      const y = read(b.unary(op, up(xs), params));
      // the reference gelu cancels in 1 + erf(x/√2) for x < -2 (good to ~1e-15 absolute only);
      // the relative accuracy of the tail is checked against 20-digit values below
      expectClose(op, y, xs.map((x) => f(x, params)), op.startsWith('gelu') ? 1e-13 : 1e-15, op.startsWith('gelu') ? 4e-15 : 1e-15);
    }
  });

  it('float32 outputs are the float64 result rounded once', () => {
    const xf = Float32Array.from(xs);
    for (const op of ['exp', 'tanh', 'sigmoid', 'affine', 'gelu', 'softplus', 'rsqrt'] as UnaryOp[]) {
      const [f, params] = UNARY_REF[op];
      const y = read(b.unary(op, up(xf, 'float32'), params));
      expect(y).toBeInstanceOf(Float32Array);
      expectClose(op, y, Array.from(xf, (x) => Math.fround(f(x, params))), 1e-7, 1e-30);
    }
  });

  it('int32 inputs stay int32 (truncating)', () => {
    const y = read(b.unary('affine', up([1, -3, 7], 'int32'), [0.5, 0]));
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([0, -1, 3]);
    expect(Array.from(read(b.unary('neg', up([5, -2], 'int32'))))).toEqual([-5, 2]);
  });

  it('special values: relu(0)=0, sign(0)=0, isfinite, clamp and relu propagate NaN', () => {
    const v = [0, -0, NaN, Infinity, -Infinity];
    expect(Array.from(read(b.unary('isfinite', up(v))))).toEqual([1, 1, 0, 0, 0]);
    expect(Array.from(read(b.unary('sign', up(v))))).toEqual([0, 0, 0, 1, -1]);
    const relu = read(b.unary('relu', up(v)));
    expect(relu[0]).toBe(0); expect(relu[2]).toBeNaN(); expect(relu[3]).toBe(Infinity); expect(relu[4]).toBe(0);
    expect(read(b.unary('clamp', up([NaN]), [0, 1]))[0]).toBeNaN();
    expect(Array.from(read(b.unary('sigmoid', up([-1000, 1000]))))).toEqual([0, 1]);
  });

  it('erf and erfc match 20-digit values to ~1e-15 relative', () => {
    const erfs: [number, number][] = [[0.3, 0.32862675945912742764], [1, 0.84270079294971486934], [1.9, 0.99279042923525746995],
      [2.5, 0.99959304798255504106], [-0.8, -0.74210096470766048617], [0, 0]];
    for (const [x, v] of erfs) expect(Math.abs(erf(x) - v)).toBeLessThanOrEqual(1e-15 * Math.abs(v));
    const erfcs: [number, number][] = [[0.9, 0.20309178757716787148], [1.7, 0.016209541409225436374],
      [3, 2.2090496998585441373e-5], [10, 2.088487583762544757e-45], [-1, 1.84270079294971486934]];
    for (const [x, v] of erfcs) expect(Math.abs(erfc(x) - v)).toBeLessThanOrEqual(2e-15 * v);
  });

  it('gelu and geluGrad match 20-digit values, deep tail included', () => {
    const cases: [number, number, number][] = [
      [-10, -7.619853024160526066e-23, -7.6184000964648140857e-22], [-3, -0.00404969409489028358, -0.011945647204183927],
      [0.7, 0.53062544344384888968, 0.97661410113365986523], [2, 1.9544997361036415856, 1.0852318010781968967]];
    const x = cases.map((c) => c[0]);
    expectClose('gelu', read(b.unary('gelu', up(x))), cases.map((c) => c[1]), 1e-14, 0);
    expectClose('geluGrad', read(b.unary('geluGrad', up(x))), cases.map((c) => c[2]), 1e-14, 0);
  });

  it('a missing parameter is an error naming the op', () => {
    expect(() => b.unary('clamp', up([1]), [0])).toThrow(/cpu\.unary\(clamp\).*2 parameter/);
  });
});

/** A random view of `shape`: permuted layout, some broadcast (stride 0) and flipped dims, an offset. */
function randomView(shape: readonly number[], r: () => number, broadcast = true): { view: StridedView; size: number } {
  const rank = shape.length;
  const order = [...Array(rank).keys()].sort(() => r() - 0.5);
  const strides = new Array<number>(rank).fill(0);
  let span = 1;
  for (let t = rank - 1; t >= 0; t--) {
    const d = order[t]!;
    if (broadcast && r() < 0.25) continue; // broadcast along d
    strides[d] = span;
    span *= shape[d]!;
  }
  const pad = Math.floor(r() * 3);
  let offset = pad;
  for (let d = 0; d < rank; d++) {
    if (strides[d] !== 0 && r() < 0.35) { offset += strides[d]! * (shape[d]! - 1); strides[d] = -strides[d]!; }
  }
  return { view: { shape, strides, offset }, size: span + pad + 2 };
}

function randomShape(r: () => number): number[] {
  const rank = 1 + Math.floor(r() * 4);
  return Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
}

const BINARY_REF: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, c) => a + c, sub: (a, c) => a - c, mul: (a, c) => a * c, div: (a, c) => a / c, pow: (a, c) => a ** c,
  maximum: Math.max, minimum: Math.min,
  eq: (a, c) => +(a === c), ne: (a, c) => +(a !== c), lt: (a, c) => +(a < c), le: (a, c) => +(a <= c), gt: (a, c) => +(a > c), ge: (a, c) => +(a >= c),
};

describe('binary, where, copy, assign, cast', () => {
  it('binary ops read strided views (broadcast, flipped, offset) in float64 and float32', () => {
    const r = rng(2);
    for (let trial = 0; trial < 30; trial++) {
      const shape = randomShape(r);
      const A = randomView(shape, r), B = randomView(shape, r);
      // small integers make eq/ne/… hit both outcomes
      const av = Array.from({ length: A.size }, () => Math.round(r() * 4 - 2) / 2);
      const bv = Array.from({ length: B.size }, () => Math.round(r() * 4 - 2) / 2);
      for (const dtype of ['float64', 'float32'] as DType[]) {
        const as = up(av, dtype), bs = up(bv, dtype);
        for (const op of Object.keys(BINARY_REF) as BinaryOp[]) {
          const out = read(b.binary(op, { storage: as, view: A.view }, { storage: bs, view: B.view }, shape));
          const expected = [...indices(shape)].map((i) => {
            const v = BINARY_REF[op](av[offsetOf(A.view, i)]!, bv[offsetOf(B.view, i)]!);
            return dtype === 'float32' ? Math.fround(v) : v;
          });
          expectClose(`${op} ${dtype} [${shape}]`, out, expected, 0, 0);
        }
      }
    }
  });

  it('maximum/minimum propagate NaN; comparisons give 1/0; int32 arithmetic wraps and truncates', () => {
    const nan = up([NaN, 1]), one = up([0, NaN]);
    const v = { shape: [2], strides: [1], offset: 0 };
    expect(Array.from(read(b.binary('maximum', { storage: nan, view: v }, { storage: one, view: v }, [2])))).toEqual([NaN, NaN]);
    const i1 = up([2147483647, -7, 7], 'int32'), i2 = up([1, 2, 2], 'int32');
    const iv = { shape: [3], strides: [1], offset: 0 };
    expect(Array.from(read(b.binary('add', { storage: i1, view: iv }, { storage: i2, view: iv }, [3])))).toEqual([-2147483648, -5, 9]);
    expect(Array.from(read(b.binary('div', { storage: i1, view: iv }, { storage: i2, view: iv }, [3])))).toEqual([2147483647, -3, 3]);
  });

  it('where broadcasts all three operands', () => {
    const r = rng(3);
    for (let trial = 0; trial < 15; trial++) {
      const shape = randomShape(r);
      const C = randomView(shape, r), A = randomView(shape, r), B = randomView(shape, r);
      const cv = Array.from({ length: C.size }, () => (r() < 0.5 ? 0 : 1)), av = randomArray(A.size, trial), bv = randomArray(B.size, trial + 99);
      const out = read(b.where({ storage: up(cv, 'int32'), view: C.view }, { storage: up(av), view: A.view }, { storage: up(bv), view: B.view }, shape));
      const expected = [...indices(shape)].map((i) => (cv[offsetOf(C.view, i)] !== 0 ? av[offsetOf(A.view, i)]! : bv[offsetOf(B.view, i)]!));
      expectClose(`where [${shape}]`, out, expected, 0, 0);
    }
  });

  it('copy materialises any view; assign writes through one', () => {
    const r = rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const shape = randomShape(r);
      const S = randomView(shape, r);
      const sv = randomArray(S.size, trial);
      const src = up(sv);
      const expected = [...indices(shape)].map((i) => sv[offsetOf(S.view, i)]!);
      expectClose(`copy [${shape}]`, read(b.copy({ storage: src, view: S.view })), expected, 0, 0);
      // a destination view without broadcast dims, so every element written is observable
      const { view: dView, size } = randomView(shape, r, false);
      const dstData = randomArray(size, trial + 7);
      const dst = up(dstData);
      b.assign(dst, dView, { storage: src, view: S.view });
      const want = Array.from(dstData);
      for (const i of indices(shape)) want[offsetOf(dView, i)] = sv[offsetOf(S.view, i)]!;
      expectClose(`assign [${shape}]`, read(dst), want, 0, 0);
    }
  });

  it('assign from an overlapping view of the same storage reads the old values (in-place flip)', () => {
    const s = up([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    b.assign(s, { shape: [10], strides: [1], offset: 0 }, { storage: s, view: { shape: [10], strides: [-1], offset: 9 } });
    expect(Array.from(read(s))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it('cast truncates toward zero into int32 and rounds once into float32', () => {
    expect(Array.from(read(b.cast(up([1.7, -1.7, 2.5, -0.5, 3]), 'int32')))).toEqual([1, -1, 2, 0, 3]);
    expect(read(b.cast(up([0.1]), 'float32'))[0]).toBe(Math.fround(0.1));
    const back = read(b.cast(up([-5, 7], 'int32'), 'float64'));
    expect(back).toBeInstanceOf(Float64Array);
    expect(Array.from(back)).toEqual([-5, 7]);
  });
});

// ---------------------------------------------------------------- reductions

function refReduce(op: ReduceOp, x: ArrayLike<number>, outer: number, red: number, inner: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const vals = Array.from({ length: red }, (_, r) => x[(o * red + r) * inner + i]!);
    switch (op) {
      case 'sum': out.push(vals.reduce((a, v) => a + v, 0)); break;
      case 'prod': out.push(vals.reduce((a, v) => a * v, 1)); break;
      case 'max': out.push(vals.some(Number.isNaN) ? NaN : Math.max(...vals)); break;
      case 'min': out.push(vals.some(Number.isNaN) ? NaN : Math.min(...vals)); break;
      case 'argmax': case 'argmin': {
        const nan = vals.findIndex(Number.isNaN);
        if (nan >= 0) { out.push(nan); break; }
        const best = op === 'argmax' ? Math.max(...vals) : Math.min(...vals);
        out.push(vals.indexOf(best));
      }
    }
  }
  return out;
}

describe('reduce', () => {
  it('every op over [outer, reduce, inner] layouts, ties and NaN included', () => {
    const r = rng(5);
    for (const [outer, red, inner] of [[1, 7, 1], [3, 5, 1], [2, 4, 3], [1, 1, 6], [4, 3, 2], [2, 6, 5]] as const) {
      // values on a coarse grid so ties are common; a NaN in some slices
      const x = Array.from({ length: outer * red * inner }, () => Math.round(r() * 6 - 3) / 2);
      if (x.length > inner + 1 && outer * inner > 2) x[inner + 1] = NaN;
      for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
        const y = b.reduce(op, up(x), outer, red, inner);
        expect(y.dtype).toBe(op.startsWith('arg') ? 'int32' : 'float64');
        expectClose(`${op} [${outer},${red},${inner}]`, read(y), refReduce(op, x, outer, red, inner), 1e-15, 0);
      }
    }
  });

  it('argmax/argmin take the first index on ties', () => {
    expect(Array.from(read(b.reduce('argmax', up([1, 3, 3, 2]), 1, 4, 1)))).toEqual([1]);
    expect(Array.from(read(b.reduce('argmin', up([2, 0, 5, 0]), 1, 4, 1)))).toEqual([1]);
    expect(Array.from(read(b.reduce('argmax', up([3, 1, 3, 1, 2, 1]), 1, 3, 2)))).toEqual([0, 0]);
  });

  it('float32 sums accumulate in float64 and round once', () => {
    const x = Float32Array.from(randomArray(1000, 6));
    const exact = Array.from(x).reduce((a, v) => a + v, 0);
    expect(read(b.reduce('sum', up(x, 'float32'), 1, 1000, 1))[0]).toBe(Math.fround(exact));
  });

  it('a size mismatch names the kernel and the sizes', () => {
    expect(() => b.reduce('sum', up([1, 2, 3]), 2, 2, 1)).toThrow(/cpu\.reduce\(sum\): x has 3 elements, expected 4/);
  });
});

// ---------------------------------------------------------------- matmul

describe('matmul', () => {
  function refMatmul(a: ArrayLike<number>, c: ArrayLike<number>, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, sa: number, sb: number): number[] {
    const out: number[] = [];
    for (let t = 0; t < batch; t++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[t * sa + (transA ? p * m + i : i * k + p)]! * c[t * sb + (transB ? j * k + p : p * n + j)]!;
      out.push(s);
    }
    return out;
  }

  const cases: [number, number, number, number][] = [[1, 1, 1, 1], [1, 3, 5, 7], [2, 4, 1, 6], [3, 2, 7, 1], [1, 70, 530, 133], [2, 9, 17, 131]];
  for (const [batch, m, n, k] of cases) {
    it(`${batch}×[${m}×${k}]·[${k}×${n}] with every transpose, float64 and float32`, () => {
      const a = randomArray(batch * m * k, m + n), c = randomArray(batch * k * n, k);
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const p = { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
        const ref = refMatmul(a, c, batch, m, n, k, transA, transB, m * k, k * n);
        expectClose(`f64 tA=${transA} tB=${transB}`, read(b.matmul(up(a), up(c), p)), ref, 1e-12, 1e-13);
        const af = Float32Array.from(a), cf = Float32Array.from(c);
        const ref32 = refMatmul(af, cf, batch, m, n, k, transA, transB, m * k, k * n);
        expectClose(`f32 tA=${transA} tB=${transB}`, read(b.matmul(up(af, 'float32'), up(cf, 'float32'), p)), ref32, 2e-7, 1e-6);
      }
    });
  }

  it('batch stride 0 broadcasts one matrix (either side), int32 exact', () => {
    const batch = 3, m = 5, n = 4, k = 6;
    const stacked = randomArray(batch * m * k, 8), shared = randomArray(k * n, 9);
    const p = { batch, m, n, k, transA: false, transB: false, aBatchStride: m * k, bBatchStride: 0 };
    expectClose('shared B', read(b.matmul(up(stacked), up(shared), p)), refMatmul(stacked, shared, batch, m, n, k, false, false, m * k, 0), 1e-12, 1e-13);
    const a1 = randomArray(m * k, 10), bs = randomArray(batch * k * n, 11);
    const q = { batch, m, n, k, transA: true, transB: false, aBatchStride: 0, bBatchStride: k * n };
    expectClose('shared A', read(b.matmul(up(a1), up(bs), q)), refMatmul(a1, bs, batch, m, n, k, true, false, 0, k * n), 1e-12, 1e-13);
    const ai = Array.from({ length: batch * m * k }, (_, i) => (i % 7) - 3), bi = Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
    const yi = b.matmul(up(ai, 'int32'), up(bi, 'int32'), p);
    expect(yi.dtype).toBe('int32');
    expect(Array.from(read(yi))).toEqual(refMatmul(ai, bi, batch, m, n, k, false, false, m * k, 0));
  });

  it('0·Inf gives NaN (zeros are not skipped)', () => {
    const y = read(b.matmul(up([0, 1]), up([Infinity, 2]), { batch: 1, m: 1, n: 1, k: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 }));
    expect(y[0]).toBeNaN();
  });

  it('a too-small operand is an error naming matmul and the sizes', () => {
    expect(() => b.matmul(up([1, 2, 3]), up([1, 2]), { batch: 1, m: 2, n: 1, k: 2, transA: false, transB: false, aBatchStride: 4, bBatchStride: 0 }))
      .toThrow(/cpu\.matmul: a has 3 elements, needs 4/);
  });
});

// ---------------------------------------------------------------- convolution

/** The 7-deep loop, all three results at once: y = conv(x, w), dx and dw for the upstream dy. */
function convCase(n: number, inC: number, inH: number, inW: number, outC: number, kH: number, kW: number,
  stride: [number, number], pad: [number, number], dil: [number, number], groups: number, extra: [number, number] = [0, 0]): Conv2dParams {
  // bottom/right padding = top/left padding + extra (implied by outH/outW)
  const outH = Math.floor((inH + 2 * pad[0] + extra[0] - dil[0] * (kH - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((inW + 2 * pad[1] + extra[1] - dil[1] * (kW - 1) - 1) / stride[1]) + 1;
  return { n, inC, inH, inW, outC, kH, kW, outH, outW, strideH: stride[0], strideW: stride[1], padTop: pad[0], padLeft: pad[1], dilationH: dil[0], dilationW: dil[1], groups };
}

describe('conv2d and its gradients', () => {
  const cases: [string, Conv2dParams][] = [
    ['stride 2, pad 1, dilation 2, groups 2, odd sizes', convCase(2, 4, 7, 9, 6, 3, 3, [2, 2], [1, 1], [2, 2], 2)],
    ['even kernel with extra bottom/right padding (same)', convCase(1, 3, 6, 5, 2, 4, 2, [1, 1], [1, 0], [1, 1], 1, [1, 1])],
    ['mixed strides and dilations, pad 2', convCase(2, 2, 9, 8, 3, 3, 2, [3, 1], [2, 1], [1, 3], 1)],
    ['1×1 pointwise', convCase(2, 5, 4, 3, 3, 1, 1, [1, 1], [0, 0], [1, 1], 1)],
    ['1×1 pointwise, groups 2', convCase(1, 4, 3, 3, 6, 1, 1, [1, 1], [0, 0], [1, 1], 2)],
    ['1×1 with stride 2', convCase(1, 3, 5, 5, 2, 1, 1, [2, 2], [0, 0], [1, 1], 1)],
    ['depthwise 3×3', convCase(2, 3, 5, 5, 3, 3, 3, [1, 1], [0, 0], [1, 1], 3)],
    ['crosses every GEMM block (66 outputs, depth 150, 576 pixels)', convCase(1, 6, 24, 24, 66, 5, 5, [1, 1], [2, 2], [1, 1], 1)],
  ];
  for (const [name, p] of cases) {
    it(name, () => {
      const x = randomArray(p.n * p.inC * p.inH * p.inW, 20), w = randomArray(p.outC * (p.inC / p.groups) * p.kH * p.kW, 21);
      const dy = randomArray(p.n * p.outC * p.outH * p.outW, 22);
      const { y, dx, dw } = naiveConv(p, x, w, dy);
      expectClose('y f64', read(b.conv2d(up(x), up(w), p)), y, 1e-12, 1e-13);
      expectClose('dx f64', read(b.conv2dBackwardInput(up(dy), up(w), p)), dx, 1e-12, 1e-13);
      expectClose('dw f64', read(b.conv2dBackwardWeight(up(x), up(dy), p)), dw, 1e-12, 1e-13);
      const y32 = b.conv2d(up(x, 'float32'), up(w, 'float32'), p);
      expect(y32.dtype).toBe('float32');
      expectClose('y f32', read(y32), y, 1e-5, 1e-5);
      expectClose('dx f32', read(b.conv2dBackwardInput(up(dy, 'float32'), up(w, 'float32'), p)), dx, 1e-5, 1e-5);
      expectClose('dw f32', read(b.conv2dBackwardWeight(up(x, 'float32'), up(dy, 'float32'), p)), dw, 1e-5, 1e-4);
    });
  }

  it('size mismatches name the kernel and the expected size', () => {
    const p = convCase(1, 2, 4, 4, 3, 3, 3, [1, 1], [1, 1], [1, 1], 1);
    expect(() => b.conv2d(up(new Float64Array(31)), up(new Float64Array(54)), p)).toThrow(/cpu\.conv2d: x has 31 elements, expected 32/);
    expect(() => b.conv2dBackwardWeight(up(new Float64Array(32)), up(new Float64Array(47)), p)).toThrow(/cpu\.conv2dBackwardWeight: dy has 47 elements, expected 48/);
    expect(() => b.conv2d(up(new Float64Array(32)), up(new Float64Array(54)), { ...p, groups: 2 })).toThrow(/groups 2 must divide/);
  });

  it('MNIST first layer (64×1×28×28, 32 5×5 filters, pad 2) forward + both gradients in float32 is fast', () => {
    const p = convCase(64, 1, 28, 28, 32, 5, 5, [1, 1], [2, 2], [1, 1], 1);
    const x = up(randomArray(64 * 784, 30, 0, 1), 'float32'), w = up(randomArray(800, 31), 'float32');
    const t0 = performance.now();
    const y = b.conv2d(x, w, p);
    const dx = b.conv2dBackwardInput(y, w, p);
    const dw = b.conv2dBackwardWeight(x, y, p);
    const ms = performance.now() - t0;
    for (const s of [y, dx, dw]) b.free(s);
    // ~0.15 s measured; the bound only catches a pathological regression on a busy machine
    expect(ms).toBeLessThan(4000);
  });
});

// ---------------------------------------------------------------- pooling

function poolWindows(p: Pool2dParams) {
  // per output cell: the real cells of its window (row-major) and the PyTorch divisor with padding
  const out: { cells: number[]; padded: number }[] = [];
  for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
    const cells: number[] = [];
    let padded = 0;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const iy = oy * p.strideH - p.padTop + ky, ix = ox * p.strideW - p.padLeft + kx;
      if (iy < p.inH + p.padTop && ix < p.inW + p.padLeft) padded++;
      if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) cells.push(iy * p.inW + ix);
    }
    out.push({ cells, padded });
  }
  return out;
}

function poolCase(n: number, c: number, inH: number, inW: number, k: [number, number], s: [number, number], pad: [number, number], ceil = false): Pool2dParams {
  const size = (i: number, kk: number, ss: number, pp: number) => {
    let o = (ceil ? Math.ceil((i + 2 * pp - kk) / ss) : Math.floor((i + 2 * pp - kk) / ss)) + 1;
    if (ceil && (o - 1) * ss >= i + pp) o--;
    return o;
  };
  return { n, c, inH, inW, outH: size(inH, k[0], s[0], pad[0]), outW: size(inW, k[1], s[1], pad[1]), kH: k[0], kW: k[1],
    strideH: s[0], strideW: s[1], padTop: pad[0], padLeft: pad[1], countIncludePad: true };
}

describe('pooling', () => {
  const cases: [string, Pool2dParams][] = [
    ['2×2 stride 2', poolCase(2, 3, 6, 6, [2, 2], [2, 2], [0, 0])],
    ['3×3 stride 2 pad 1, odd input', poolCase(1, 2, 7, 5, [3, 3], [2, 2], [1, 1])],
    ['3×2 kernel, strides 1×2, pad 1', poolCase(1, 1, 5, 6, [3, 2], [1, 2], [1, 1])],
    ['ceil mode: the last window hangs past the input', poolCase(1, 2, 5, 5, [2, 2], [2, 2], [0, 0], true)],
    ['ceil mode with padding', poolCase(1, 1, 6, 6, [3, 3], [2, 2], [1, 1], true)],
  ];
  for (const [name, p] of cases) {
    it(`max and avg (both divisors) with gradients: ${name}`, () => {
      // a coarse grid gives many ties; all values negative so a padding zero would win if allowed
      const r = rng(40);
      const x = Array.from({ length: p.n * p.c * p.inH * p.inW }, () => -1 - Math.round(r() * 3));
      const windows = poolWindows(p);
      const plane = p.inH * p.inW, planes = p.n * p.c, outPlane = p.outH * p.outW;
      const dy = randomArray(planes * outPlane, 41);
      const maxOut: number[] = [], argOut: number[] = [], dxMax = new Float64Array(x.length);
      const avgIn: number[] = [], avgEx: number[] = [], dxIn = new Float64Array(x.length), dxEx = new Float64Array(x.length);
      for (let pl = 0; pl < planes; pl++) windows.forEach(({ cells, padded }, o) => {
        const vals = cells.map((c) => x[pl * plane + c]!);
        const best = Math.max(...vals), at = cells[vals.indexOf(best)]!; // indexOf: the first maximum
        maxOut.push(best); argOut.push(at);
        dxMax[pl * plane + at] += dy[pl * outPlane + o]!;
        const sum = vals.reduce((a, v) => a + v, 0);
        avgIn.push(sum / padded); avgEx.push(sum / cells.length);
        for (const c of cells) { dxIn[pl * plane + c] += dy[pl * outPlane + o]! / padded; dxEx[pl * plane + c] += dy[pl * outPlane + o]! / cells.length; }
      });
      for (const dtype of ['float64', 'float32'] as DType[]) {
        const tol = dtype === 'float64' ? 1e-14 : 1e-6;
        const { out, argmax } = b.maxPool2d(up(x, dtype), p);
        expectClose(`max ${dtype}`, read(out), maxOut, 0, 0);
        expect(Array.from(read(argmax)), 'argmax').toEqual(argOut);
        expectClose(`max grad ${dtype}`, read(b.maxPool2dBackward(up(dy, dtype), argmax, p)), dxMax, tol, tol);
        const ex = { ...p, countIncludePad: false };
        expectClose(`avg incl ${dtype}`, read(b.avgPool2d(up(x, dtype), p)), avgIn, tol, tol);
        expectClose(`avg excl ${dtype}`, read(b.avgPool2d(up(x, dtype), ex)), avgEx, tol, tol);
        expectClose(`avg incl grad ${dtype}`, read(b.avgPool2dBackward(up(dy, dtype), p)), dxIn, tol, tol);
        expectClose(`avg excl grad ${dtype}`, read(b.avgPool2dBackward(up(dy, dtype), ex)), dxEx, tol, tol);
      }
    });
  }

  it('ties go to the first maximum in row-major window order; NaN propagates', () => {
    const p = poolCase(1, 1, 2, 4, [2, 2], [2, 2], [0, 0]);
    const { out, argmax } = b.maxPool2d(up([0, 0, 5, 1, 0, 0, 5, 5]), p);
    expect(Array.from(read(out))).toEqual([0, 5]);
    expect(Array.from(read(argmax))).toEqual([0, 2]);
    const nan = b.maxPool2d(up([1, NaN, 9, NaN]), poolCase(1, 1, 2, 2, [2, 2], [2, 2], [0, 0]));
    expect(read(nan.out)[0]).toBeNaN();
    expect(read(nan.argmax)[0]).toBe(1);
  });

  it('rejects a window made only of padding and an argmax outside the plane', () => {
    const p = poolCase(1, 1, 4, 4, [2, 2], [2, 2], [0, 0]);
    expect(() => b.maxPool2d(up(new Float64Array(16)), { ...p, outH: 4 })).toThrow(/covers only padding/);
    expect(() => b.maxPool2dBackward(up([1, 1, 1, 1]), up([0, 1, 16, 2], 'int32'), p)).toThrow(/argmax\[2\] = 16 is outside/);
  });
});

// ---------------------------------------------------------------- indexing and softmax

describe('gather and scatterAdd', () => {
  it('match index loops; float32 scatter sums round once', () => {
    const r = rng(50);
    const [outer, axis, inner, count] = [3, 5, 2, 4];
    const x = randomArray(outer * axis * inner, 51);
    const idx = Array.from({ length: outer * count * inner }, () => Math.floor(r() * axis));
    const src = randomArray(outer * count * inner, 52);
    const gathered: number[] = [], scattered = new Float64Array(outer * axis * inner);
    for (let o = 0; o < outer; o++) for (let j = 0; j < count; j++) for (let i = 0; i < inner; i++) {
      const t = (o * count + j) * inner + i;
      gathered.push(x[(o * axis + idx[t]!) * inner + i]!);
      scattered[(o * axis + idx[t]!) * inner + i] += src[t]!;
    }
    expectClose('gather', read(b.gather(up(x), up(idx, 'int32'), outer, axis, inner, count)), gathered, 0, 0);
    expectClose('scatterAdd', read(b.scatterAdd(up(src), up(idx, 'int32'), outer, axis, inner, count)), scattered, 1e-15, 1e-15);
    const s32 = read(b.scatterAdd(up(src, 'float32'), up(idx, 'int32'), outer, axis, inner, count));
    expectClose('scatterAdd f32', s32, scattered, 1e-6, 1e-7);
  });

  it('an index out of range is an error, and nothing is leaked', () => {
    const before = b.memory().liveBuffers;
    const x = up([1, 2, 3]), idx = up([0, 3], 'int32');
    expect(() => b.gather(x, idx, 1, 3, 1, 2)).toThrow(/cpu\.gather: index\[1\] = 3 is outside \[0, 3\)/);
    expect(() => b.scatterAdd(up([1, 1]), idx, 1, 3, 1, 2)).toThrow(/cpu\.scatterAdd/);
    expect(b.memory().liveBuffers).toBe(before + 3);
  });
});

describe('softmax', () => {
  it('matches the max-subtracted formula, stays finite at ±1e4, log form included', () => {
    const outer = 4, inner = 7;
    const x = Array.from(randomArray(outer * inner, 60), (v, i) => v * (i < 14 ? 1e4 : 3));
    const soft: number[] = [], logSoft: number[] = [];
    for (let o = 0; o < outer; o++) {
      const row = x.slice(o * inner, (o + 1) * inner);
      const m = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
      for (const v of row) { soft.push(Math.exp(v - m) / s); logSoft.push(v - m - Math.log(s)); }
    }
    const y = read(b.softmax(up(x), outer, inner, false));
    expectClose('softmax', y, soft, 1e-14, 1e-300);
    expectClose('logSoftmax', read(b.softmax(up(x), outer, inner, true)), logSoft, 1e-14, 1e-12);
    for (let o = 0; o < outer; o++) expect(Math.abs(Array.from(y.subarray(o * inner, (o + 1) * inner)).reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-14);
    const y32 = read(b.softmax(up(x, 'float32'), outer, inner, true));
    expect(Array.from(y32).every(Number.isFinite)).toBe(true);
  });
});

describe('batch norm', () => {
  it('normalises each channel to mean 0, variance 1, then scales and shifts (float64)', () => {
    const p = { outer: 3, c: 2, inner: 5, eps: 1e-5 };
    const x = randomArray(30, rng(8)).map((v) => 4 * v + 2);
    const w = Float64Array.of(2, 0.5), bias = Float64Array.of(1, -1);
    const r = b.batchNormForward(up(x, 'float64'), up(w, 'float64'), up(bias, 'float64'), p);
    const y = read(r.out), mean = read(r.mean), variance = read(r.variance);
    for (let ch = 0; ch < 2; ch++) {
      const idx = [0, 1, 2].flatMap((o) => [0, 1, 2, 3, 4].map((i) => (o * 2 + ch) * 5 + i));
      const mu = idx.reduce((s, k) => s + x[k]!, 0) / 15;
      expectClose(`mean ${ch}`, [mean[ch]!], [mu]);
      expectClose(`variance ${ch}`, [variance[ch]!], [idx.reduce((s, k) => s + (x[k]! - mu) ** 2, 0) / 15]);
      const z = idx.map((k) => (y[k]! - bias[ch]!) / w[ch]!);
      expectClose(`normalised mean ${ch}`, [z.reduce((s, v) => s + v, 0) / 15], [0]);
      expectClose(`normalised variance ${ch}`, [z.reduce((s, v) => s + v * v, 0) / 15], [variance[ch]! / (variance[ch]! + 1e-5)]);
    }
  });

  it('bad arguments are errors naming the kernel and the sizes', () => {
    const p = { outer: 2, c: 3, inner: 4, eps: 1e-5 };
    expect(() => b.batchNormForward(up(new Float64Array(23), 'float64'), null, null, p)).toThrow(/batchNormForward.*x has 23 elements, expected 24/);
    expect(() => b.batchNormForward(up(new Float64Array(24), 'float64'), up(new Float64Array(2), 'float64'), null, p)).toThrow(/batchNormForward.*weight has 2 elements, expected 3 \(c\)/);
    expect(() => b.batchNormForward(up(new Float64Array(24), 'float64'), null, null, { ...p, eps: 0 })).toThrow(/batchNormForward.*eps must be a positive/);
    expect(() => b.batchNormBackward(up(new Float64Array(20), 'float64'), up(new Float64Array(24), 'float64'), up(new Float64Array(3), 'float64'),
      up(new Float64Array(3), 'float64'), null, p)).toThrow(/batchNormBackward.*dy has 20 elements, expected 24/);
  });
});
