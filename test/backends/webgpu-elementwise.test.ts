/**
 * WebGPU elementwise and data-movement kernels against naive references (the CPU backend in
 * float64 for the unary ops' exact semantics): fill/alloc/upload/read, strided copy and assign
 * (broadcast, negative strides, offsets, overlapping self-assignment), casts, every unary op in
 * float32 and int32, every binary op with broadcasting shapes from fast-check, where, 0-element
 * tensors, and grids folded past maxComputeWorkgroupsPerDimension. Outputs are poisoned, so a
 * skipped element fails the comparison.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import type { BinaryOp, StridedView, UnaryOp } from '../../src/core/backend.js';
import { createTestBackend, expectClose, indices, offsetOf, randomF32, randomI32, readF, rng, stridesOf } from './webgpu-helpers.js';

const gpu = await createTestBackend();
const cpu = new CpuBackend();
afterAll(() => gpu?.dispose());

const view = (shape: number[], strides = stridesOf(shape), offset = 0): StridedView => ({ shape, strides, offset });

/** the view's elements in row-major order */
function gatherView(data: ArrayLike<number>, v: StridedView): number[] {
  return [...indices(v.shape)].map((idx) => data[offsetOf(v, idx)]!);
}

describe.skipIf(!gpu)('webgpu elementwise kernels', () => {
  const b = gpu!;

  it('alloc is zeros, fill writes the value in either dtype, upload/read round-trip', async () => {
    expect([...await b.read(b.alloc(37, 'float32'))]).toEqual(new Array(37).fill(0));
    expect([...await b.read(b.alloc(5, 'int32'))]).toEqual([0, 0, 0, 0, 0]);
    expect([...await b.read(b.fill(70, 'float32', -2.5))]).toEqual(new Array(70).fill(-2.5));
    expect([...await b.read(b.fill(3, 'int32', 7.9))]).toEqual([7, 7, 7]);
    const f = randomF32(1000, 1);
    expect(await b.read(b.upload(f))).toEqual(f);
    const i = randomI32(33, 2, -1e9, 1e9);
    expect(await b.read(b.upload(i))).toEqual(i);
  });

  it('0-element tensors: every kernel accepts them and reads return empty arrays', async () => {
    const e = b.upload(new Float32Array(0));
    expect((await b.read(e)).length).toBe(0);
    expect((await b.read(b.unary('exp', e))).length).toBe(0);
    expect((await b.read(b.binary('add', { storage: e, view: view([0, 3]) }, { storage: e, view: view([0, 3], [0, 0]) }, [0, 3]))).length).toBe(0);
    expect((await b.read(b.copy({ storage: e, view: view([2, 0]) }))).length).toBe(0);
    expect((await b.read(b.cast(e, 'int32'))).length).toBe(0);
    expect((await b.read(b.fill(0, 'float32', 1))).length).toBe(0);
  });

  it('float64 is refused with the dtype and the backend named', () => {
    expect(b.supportsDType('float64')).toBe(false);
    expect(() => b.alloc(4, 'float64')).toThrow(/float64.*webgpu|webgpu.*float64/);
    expect(() => b.upload(new Float64Array(3))).toThrow(/float64/);
  });

  it('copy materialises strided views: broadcast, negative strides, offsets, permutations', async () => {
    const data = randomF32(120, 3);
    const x = b.upload(data);
    const views: StridedView[] = [
      view([4, 5, 6]),
      view([6, 4, 5], [1, 30, 6]), // permuted
      view([3, 5], [0, 1], 7), // broadcast rows
      view([4, 6], [-30, -1], 119), // flipped both ways
      view([2, 3, 2, 2], [60, 10, 5, 1], 1),
      view([1, 1, 7], [0, 0, 17], 3),
      view([2, 1, 3, 1, 2, 1, 2, 1, 2], [60, 0, 20, 0, 5, 0, 2, 0, 1], 0), // 9-D that coalesces
    ];
    for (const v of views) {
      expect([...await b.read(b.copy({ storage: x, view: v }))], JSON.stringify(v)).toEqual(gatherView(data, v));
    }
    const ints = randomI32(24, 4, -100, 100);
    const xi = b.upload(ints);
    const vi = view([4, 3], [-1, 8], 3);
    expect([...await b.read(b.copy({ storage: xi, view: vi }))]).toEqual(gatherView(ints, vi));
  });

  it('assign writes through the destination view, including from an overlapping view of itself', async () => {
    const base = randomF32(30, 5);
    const dst = b.upload(base);
    const src = b.upload(Float32Array.from({ length: 6 }, (_, i) => 100 + i));
    // columns 1 and 3 of a 5×6 matrix, written transposed from a 2×3 source... as a [3, 2] view
    const dv = view([3, 2], [6, 2], 1);
    b.assign(dst, dv, { storage: src, view: view([3, 2]) });
    const want = Array.from(base);
    [...indices([3, 2])].forEach((idx, k) => { want[offsetOf(dv, idx)] = 100 + k; });
    expectClose('assign', await b.read(dst), want, 0, 0);
    // self-assignment with overlap: x[1:] = x[:-1] must read the old values
    const arr = Float32Array.from({ length: 10 }, (_, i) => i);
    const s = b.upload(arr);
    b.assign(s, view([9], [1], 1), { storage: s, view: view([9], [1], 0) });
    expect([...await b.read(s)]).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => b.assign(s, view([3], [1], 8), { storage: s, view: view([3]) })).toThrow(/dst view .*reaches elements 8\.\.10/);
  });

  it('cast converts between float32 and int32 (truncation toward zero; NaN and ±∞ to 0)', async () => {
    const f = Float32Array.from([1.9, -1.9, 0.5, -0.5, 1e9, -7, NaN, Infinity, -Infinity, 2147483520]);
    expect([...await b.read(b.cast(b.upload(f), 'int32'))]).toEqual([1, -1, 0, 0, 1e9, -7, 0, 0, 0, 2147483520]);
    const i = Int32Array.from([3, -4, 16777217, 0]);
    expect([...await b.read(b.cast(b.upload(i), 'float32'))]).toEqual([3, -4, 16777216, 0]);
    expect([...await b.read(b.cast(b.upload(f.slice(0, 3)), 'float32'))]).toEqual([...f.slice(0, 3)]);
  });

  const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3.25, -3.25, 10, -10, 1e-7, -1e-7, 25, -25, 80, -80, NaN, Infinity, -Infinity];
  const PARAMS: Partial<Record<UnaryOp, number[]>> = {
    leakyRelu: [0.1], clamp: [-1.5, 2], powScalar: [3], affine: [2.5, -1], inRange: [-1, 2],
  };
  const UNARY: UnaryOp[] = ['neg', 'abs', 'sign', 'exp', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos',
    'tanh', 'sigmoid', 'relu', 'gelu', 'softplus', 'floor', 'isfinite', 'leakyRelu', 'clamp', 'powScalar', 'affine', 'inRange', 'geluGrad'];

  it('every unary op matches the float64 reference on float32 inputs (special values included)', async () => {
    const values = Float32Array.from([...SPECIAL, ...randomF32(200, 6, -8, 8), ...randomF32(40, 7, 0, 3)]);
    const x = b.upload(values);
    const xr = cpu.upload(Float64Array.from(values));
    for (const op of UNARY) {
      const p = PARAMS[op] ?? [];
      const got = await b.read(b.unary(op, x, p));
      const want = cpu.readSync(cpu.unary(op, xr, p));
      // transcendental functions are a few ulps; sin/cos to 1e-7 absolute on moderate arguments
      const [rtol, atol] = op === 'sin' || op === 'cos' ? [0, 1.5e-7] : ['exp', 'log', 'log1p', 'sigmoid', 'softplus', 'tanh', 'gelu', 'geluGrad', 'rsqrt', 'powScalar'].includes(op) ? [4e-6, 1e-6] : [1e-7, 1e-7];
      const keep = [...values.keys()].filter((i) => !((op === 'sin' || op === 'cos') && !(Math.abs(values[i]!) <= 100)));
      expectClose(`unary ${op}`, keep.map((i) => got[i]!), keep.map((i) => want[i]!), rtol, atol);
    }
  });

  it('gelu and its gradient stay within 1e-6 of the exact erf form over [-12, 12]', async () => {
    const values = Float32Array.from({ length: 2401 }, (_, i) => -12 + i * 0.01);
    const x = b.upload(values);
    const xr = cpu.upload(Float64Array.from(values));
    expectClose('gelu', await b.read(b.unary('gelu', x)), cpu.readSync(cpu.unary('gelu', xr)), 0, 1e-6);
    expectClose('geluGrad', await b.read(b.unary('geluGrad', x)), cpu.readSync(cpu.unary('geluGrad', xr)), 0, 1e-6);
  });

  it('int32 unary ops follow the reference (integer forms, or float and truncate)', async () => {
    const values = Int32Array.from([0, 1, -1, 2, -2, 7, -7, 100, -100, 46340, 123456]);
    const x = b.upload(values);
    const xr = cpu.upload(values);
    const ops: [UnaryOp, number[]][] = [['neg', []], ['abs', []], ['sign', []], ['square', []], ['relu', []], ['floor', []], ['isfinite', []],
      ['clamp', [-3, 50]], ['affine', [2, 1]], ['affine', [0.5, 0]], ['powScalar', [2]], ['powScalar', [3]], ['powScalar', [0.5]],
      ['leakyRelu', [0.5]], ['inRange', [-2, 2]], ['sqrt', []], ['exp', []]];
    for (const [op, p] of ops) {
      const keep = op === 'exp' ? [0, 1, 2, 3, 4, 5, 6] : [...values.keys()];
      const got = await b.read(b.unary(op, x, p)), want = cpu.readSync(cpu.unary(op, xr, p));
      expect(keep.map((i) => got[i]), `int32 ${op}(${p})`).toEqual(keep.map((i) => want[i]));
    }
  });

  const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

  function naiveBinary(op: BinaryOp, a: number, c: number, int: boolean): number {
    let r: number;
    switch (op) {
      case 'add': r = a + c; break;
      case 'sub': r = a - c; break;
      case 'mul': r = a * c; break;
      case 'div': r = a / c; break;
      case 'pow': r = a ** c; break;
      case 'maximum': r = Number.isNaN(a) || Number.isNaN(c) ? NaN : Math.max(a, c); break;
      case 'minimum': r = Number.isNaN(a) || Number.isNaN(c) ? NaN : Math.min(a, c); break;
      case 'eq': r = a === c ? 1 : 0; break;
      case 'ne': r = a !== c ? 1 : 0; break;
      case 'lt': r = a < c ? 1 : 0; break;
      case 'le': r = a <= c ? 1 : 0; break;
      case 'gt': r = a > c ? 1 : 0; break;
      case 'ge': r = a >= c ? 1 : 0; break;
    }
    return int ? r | 0 : Math.fround(r);
  }

  /** a random broadcast pair: the output shape and, per operand, which dimensions are size 1 */
  const broadcastCase = fc.record({
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }),
    aMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    bMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    flip: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1e6 }),
  });

  it('binary ops broadcast through stride-0 views and flip through negative strides (fast-check shapes)', async () => {
    await fc.assert(fc.asyncProperty(broadcastCase, async ({ shape, aMask, bMask, flip, seed }) => {
      const aShape = shape.map((d, i) => (aMask[i] ? 1 : d)), bShape = shape.map((d, i) => (bMask[i] ? 1 : d));
      const aData = randomF32(aShape.reduce((x, y) => x * y, 1), seed, -3, 3);
      const bData = randomF32(bShape.reduce((x, y) => x * y, 1), seed + 1, -3, 3);
      const A = b.upload(aData), B = b.upload(bData);
      const as = stridesOf(aShape).map((s, i) => (aShape[i] === 1 ? 0 : s));
      let bs = stridesOf(bShape).map((s, i) => (bShape[i] === 1 ? 0 : s));
      let bOffset = 0;
      if (flip && shape.length > 0) {
        // read b reversed along its first dimension
        bOffset = (bShape[0]! - 1) * (bs[0] ?? 0);
        bs = [-(bs[0] ?? 0), ...bs.slice(1)];
      }
      const av = view(shape, as), bv = view(shape, bs, bOffset);
      for (const op of ['add', 'mul', 'maximum', 'lt'] as BinaryOp[]) {
        const got = await b.read(b.binary(op, { storage: A, view: av }, { storage: B, view: bv }, shape));
        const want = [...indices(shape)].map((idx) => naiveBinary(op, aData[offsetOf(av, idx)]!, bData[offsetOf(bv, idx)]!, false));
        expectClose(`${op} ${JSON.stringify({ shape, as, bs })}`, got, want, 1e-7, 0);
      }
      b.free(A); b.free(B);
    }), { numRuns: 12, seed: 11 });
  });

  it('every binary op in float32 and int32 (division by zero, NaN, negative powers)', async () => {
    const av = [0, 1, -1, 2, -2, 3.5, -3.5, 0, NaN, 5, 2, -2, 4, 9, 1e30];
    const bv = [0, 0, 2, 3, -3, 2, 2, NaN, 1, -1, 0.5, 3, -0.5, 2, 1e30];
    const A = b.upload(Float32Array.from(av)), B = b.upload(Float32Array.from(bv));
    const ai = [7, -7, 7, 0, 5, -2, 3, 2147483647, 1, -1, 2], bi = [2, 2, 0, 0, -1, 3, 4, 1, -3, -3, -1];
    const Ai = b.upload(Int32Array.from(ai)), Bi = b.upload(Int32Array.from(bi));
    for (const op of BINARY) {
      const got = await b.read(b.binary(op, { storage: A, view: view([av.length]) }, { storage: B, view: view([bv.length]) }, [av.length]));
      const fa = Float32Array.from(av), fb = Float32Array.from(bv);
      const want = av.map((_, i) => naiveBinary(op, fa[i]!, fb[i]!, false));
      expectClose(`float32 ${op}`, got, want, op === 'pow' ? 4e-6 : 1e-7, 0);
      const goti = await b.read(b.binary(op, { storage: Ai, view: view([ai.length]) }, { storage: Bi, view: view([bi.length]) }, [ai.length]));
      const wanti = ai.map((x, i) => naiveBinary(op, x, bi[i]!, true));
      expect([...goti], `int32 ${op}`).toEqual(wanti);
    }
  });

  it('where selects through three broadcast views, with float or int conditions', async () => {
    const r = rng(9);
    const shape = [3, 4, 5];
    const cond = Int32Array.from({ length: 4 }, () => (r() < 0.5 ? 0 : 1));
    const condF = Float32Array.from([0, NaN, -0, 2, 0]);
    const aData = randomF32(60, 10), bData = randomF32(5, 11);
    const C = b.upload(cond), CF = b.upload(condF), A = b.upload(aData), B = b.upload(bData);
    const cv = view(shape, [0, 1, 0]), av = view(shape, stridesOf(shape)), bv = view(shape, [0, 0, -1], 4), cfv = view(shape, [0, 0, 1]);
    const got = await b.read(b.where({ storage: C, view: cv }, { storage: A, view: av }, { storage: B, view: bv }, shape));
    expect([...got]).toEqual([...indices(shape)].map((i) => (cond[offsetOf(cv, i)] !== 0 ? aData[offsetOf(av, i)] : bData[offsetOf(bv, i)])));
    const got2 = await b.read(b.where({ storage: CF, view: cfv }, { storage: A, view: av }, { storage: B, view: bv }, shape));
    expect([...got2]).toEqual([...indices(shape)].map((i) => (condF[offsetOf(cfv, i)] !== 0 ? aData[offsetOf(av, i)] : bData[offsetOf(bv, i)])));
  });

  it('a grid of more than 65535 workgroups folds into 2-D and covers every element', async () => {
    const n = 70_000 * 64 + 3;
    const x = b.upload(Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500));
    const y = await b.read(b.unary('abs', x));
    let bad = -1;
    for (let i = 0; i < n; i++) if (y[i] !== Math.abs((i % 1000) - 500)) { bad = i; break; }
    expect(bad, `first wrong element ${bad}: ${y[bad]}`).toBe(-1);
  });
});

describe.skipIf(!gpu)('webgpu kernels with grids folded at 7 workgroups per dimension', async () => {
  // the same folding logic at small sizes: 2-D and 3-D grids for every kind of kernel
  const small = (await createTestBackend({ maxWorkgroupsPerDimension: 7 }))!;
  afterAll(() => small?.dispose());

  it('elementwise, strided and reduction kernels over 2-D and 3-D grids', async () => {
    const n = 64 * 60 + 5; // 61 workgroups of 64: a 7 × 7 × 2 grid
    const data = randomF32(n, 12);
    const x = small.upload(data);
    expectClose('exp', await small.read(small.unary('exp', x)), Array.from(data, (v) => Math.fround(Math.exp(v))), 4e-6, 0);
    const v = view([n], [-1], n - 1);
    expect([...await small.read(small.copy({ storage: x, view: v }))]).toEqual([...data].reverse());
    const s = await readF(small, small.reduce('sum', x, n, 1, 1));
    expectClose('sum over size-1 axis', s, Array.from(data), 0, 0);
  });
});
