/**
 * The strided kernels on every device: binary ops and where read through views (broadcast, flipped,
 * offset, permuted, unmergeable), strided copy and assign (overlapping self-assignment included),
 * casts, against naive index loops; every binary op in float32 and int32 with the special cases
 * (division by zero, NaN, negative powers, int32 wrap).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BinaryOp, StridedView } from '../../src/core/backend.js';
import { BINARY_OPS } from '../../src/core/kernel-contract.js';
import {
  DEVICES, expectClose, expectSameBits, f32Values, indices, offsetOf, openDevice, randomArray, read, reference, rng, specialValues, stridesOf, upload,
} from './devices.js';

const view = (shape: number[], strides = stridesOf(shape), offset = 0): StridedView => ({ shape, strides, offset });

function naiveBinary(op: BinaryOp, a: number, c: number): number {
  switch (op) {
    case 'add': return a + c;
    case 'sub': return a - c;
    case 'mul': return a * c;
    case 'div': return a / c;
    case 'pow': return a ** c;
    case 'maximum': return Number.isNaN(a) || Number.isNaN(c) ? NaN : Math.max(a, c);
    case 'minimum': return Number.isNaN(a) || Number.isNaN(c) ? NaN : Math.min(a, c);
    case 'eq': return a === c ? 1 : 0;
    case 'ne': return a !== c ? 1 : 0;
    case 'lt': return a < c ? 1 : 0;
    case 'le': return a <= c ? 1 : 0;
    case 'gt': return a > c ? 1 : 0;
    case 'ge': return a >= c ? 1 : 0;
  }
}

/** A random view of `shape`: permuted layout, some broadcast (stride 0) and flipped dims, an offset. */
function randomView(shape: readonly number[], r: () => number, broadcast = true): { view: StridedView; size: number } {
  const rank = shape.length;
  const order = [...Array(rank).keys()].sort(() => r() - 0.5);
  const strides = new Array<number>(rank).fill(0);
  let span = 1;
  for (let t = rank - 1; t >= 0; t--) {
    const d = order[t]!;
    if (broadcast && r() < 0.25) continue;
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

const randomShape = (r: () => number) => Array.from({ length: 1 + Math.floor(r() * 4) }, () => 1 + Math.floor(r() * 4));

/** the view's elements in row-major order */
const gatherView = (data: ArrayLike<number>, v: StridedView) => [...indices(v.shape)].map((idx) => data[offsetOf(v, idx)]!);

describe.each(DEVICES)('strided kernels on $name', (device) => {
  const get = openDevice(device);
  const dtypes = device.float64 ? (['float64', 'float32'] as const) : (['float32'] as const);

  it('binary ops read random views (broadcast, flipped, offset)', async () => {
    const b = get();
    if (!b) return;
    const r = rng(2);
    for (let trial = 0; trial < 20; trial++) {
      const shape = randomShape(r);
      const A = randomView(shape, r), B = randomView(shape, r);
      // small integers make eq/ne/… hit both outcomes
      const av = Array.from({ length: A.size }, () => Math.round(r() * 4 - 2) / 2);
      const bv = Array.from({ length: B.size }, () => Math.round(r() * 4 - 2) / 2);
      for (const dtype of dtypes) {
        const as = upload(b, av, dtype), bs = upload(b, bv, dtype);
        for (const op of BINARY_OPS) {
          const out = await read(b, b.binary(op, { storage: as, view: A.view }, { storage: bs, view: B.view }, shape));
          const expected = [...indices(shape)].map((i) => {
            const v = naiveBinary(op, av[offsetOf(A.view, i)]!, bv[offsetOf(B.view, i)]!);
            return dtype === 'float32' ? Math.fround(v) : v;
          });
          expectClose(`${op} ${dtype} [${shape}]`, out, expected, op === 'pow' && device.gpu ? 4e-6 : 0, 0);
        }
      }
    }
  });

  it('binary ops over same-shape, broadcast, strided and unmergeable views of a 4-D tensor, special values included', async () => {
    const b = get();
    if (!b) return;
    const shape = [3, 5, 17, 19];
    const size = shape.reduce((p, d) => p * d, 1);
    const a = specialValues(size, 2), c = specialValues(size, 3);
    const A = upload(b, a), B = upload(b, c), Ar = upload(reference, a, 'float32'), Br = upload(reference, c, 'float32');
    const flat = view(shape);
    const views: Array<[string, StridedView, StridedView]> = [
      ['same shape', flat, flat],
      ['per-channel bias', flat, view(shape, [0, 1, 0, 0], 3)],
      ['scalar on the left', view(shape, [0, 0, 0, 0], 7), flat],
      ['row broadcast', flat, view(shape, [0, 0, 0, 1])],
      ['transposed last axes (strided rows)', flat, view(shape, [5 * 17 * 19, 17 * 19, 1, 17])],
      ['flipped rows', flat, view(shape, [5 * 17 * 19, 17 * 19, 19, -1], 18)],
      ['four unmergeable dimensions', view(shape, [1, 3, 15, 15 * 17]), view(shape, [0, 1, 0, 5])],
    ];
    for (const [name, av, bv] of views) {
      for (const op of BINARY_OPS.filter((o) => o !== 'pow')) {
        const got = await read(b, b.binary(op, { storage: A, view: av }, { storage: B, view: bv }, shape));
        const want = Float64Array.from(reference.readSync(reference.binary(op, { storage: Ar, view: av }, { storage: Br, view: bv }, shape)));
        // a GPU may order ±0 in max/min either way
        if (device.gpu) expectClose(`${op} ${name}`, got, want, 0, 0); else expectSameBits(`${op} ${name}`, got, want);
      }
    }
  });

  it('broadcast through stride-0 views and flip through negative strides (fast-check shapes)', async () => {
    const b = get();
    if (!b) return;
    const cases = fc.record({
      shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 0, maxLength: 4 }),
      aMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), bMask: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      flip: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(fc.asyncProperty(cases, async ({ shape, aMask, bMask, flip, seed }) => {
      const aShape = shape.map((d, i) => (aMask[i] ? 1 : d)), bShape = shape.map((d, i) => (bMask[i] ? 1 : d));
      const aData = f32Values(randomArray(aShape.reduce((x, y) => x * y, 1), seed, -3, 3));
      const bData = f32Values(randomArray(bShape.reduce((x, y) => x * y, 1), seed + 1, -3, 3));
      const A = upload(b, aData), B = upload(b, bData);
      const as = stridesOf(aShape).map((s, i) => (aShape[i] === 1 ? 0 : s));
      let bs = stridesOf(bShape).map((s, i) => (bShape[i] === 1 ? 0 : s));
      let bOffset = 0;
      if (flip && shape.length > 0) { bOffset = (bShape[0]! - 1) * (bs[0] ?? 0); bs = [-(bs[0] ?? 0), ...bs.slice(1)]; }
      const av = view(shape, as), bv = view(shape, bs, bOffset);
      for (const op of ['add', 'mul', 'maximum', 'lt'] as BinaryOp[]) {
        const got = await read(b, b.binary(op, { storage: A, view: av }, { storage: B, view: bv }, shape));
        const want = [...indices(shape)].map((idx) => Math.fround(naiveBinary(op, aData[offsetOf(av, idx)]!, bData[offsetOf(bv, idx)]!)));
        expectClose(`${op} ${JSON.stringify({ shape, as, bs })}`, got, want, 1e-7, 0);
      }
      b.free(A); b.free(B);
    }), { numRuns: 12, seed: 11 });
  });

  it('every binary op in float32 and int32: division by zero, NaN, negative powers, int32 wrap and truncation', async () => {
    const b = get();
    if (!b) return;
    const av = [0, 1, -1, 2, -2, 3.5, -3.5, 0, NaN, 5, 2, -2, 4, 9, 1e30], bv = [0, 0, 2, 3, -3, 2, 2, NaN, 1, -1, 0.5, 3, -0.5, 2, 1e30];
    const A = upload(b, av), B = upload(b, bv);
    const ai = [7, -7, 7, 0, 5, -2, 3, 2147483647, 1, -1, 2], bi = [2, 2, 0, 0, -1, 3, 4, 1, -3, -3, -1];
    const Ai = upload(b, ai, 'int32'), Bi = upload(b, bi, 'int32');
    for (const op of BINARY_OPS) {
      const got = await read(b, b.binary(op, { storage: A, view: view([av.length]) }, { storage: B, view: view([bv.length]) }, [av.length]));
      const fa = Float32Array.from(av), fb = Float32Array.from(bv);
      expectClose(`float32 ${op}`, got, av.map((_, i) => Math.fround(naiveBinary(op, fa[i]!, fb[i]!))), op === 'pow' ? 4e-6 : 1e-7, 0);
      const goti = await b.read(b.binary(op, { storage: Ai, view: view([ai.length]) }, { storage: Bi, view: view([bi.length]) }, [ai.length]));
      const wanti = reference.readSync(reference.binary(op, { storage: reference.upload(Int32Array.from(ai)), view: view([ai.length]) },
        { storage: reference.upload(Int32Array.from(bi)), view: view([bi.length]) }, [ai.length]));
      expect([...goti], `int32 ${op}`).toEqual([...wanti]);
    }
    const sum = await b.read(b.binary('add', { storage: Ai, view: view([3]) }, { storage: Bi, view: view([3]) }, [3]));
    expect([...sum].slice(0, 3)).toEqual([9, -5, 7]);
    const int = (v: number[]) => ({ storage: upload(b, v, 'int32'), view: view([v.length]) });
    expect([...await b.read(b.binary('add', int([2147483647, -7, 7]), int([1, 2, 2]), [3]))]).toEqual([-2147483648, -5, 9]);
    expect([...await b.read(b.binary('div', int([2147483647, -7, 7]), int([1, 2, 2]), [3]))]).toEqual([2147483647, -3, 3]);
  });

  it('where selects through three broadcast views, with float or int conditions', async () => {
    const b = get();
    if (!b) return;
    const r = rng(3);
    for (let trial = 0; trial < 10; trial++) {
      const shape = randomShape(r);
      const C = randomView(shape, r), A = randomView(shape, r), B = randomView(shape, r);
      const cv = Array.from({ length: C.size }, () => (r() < 0.5 ? 0 : 1)), av = f32Values(randomArray(A.size, trial)), bv = f32Values(randomArray(B.size, trial + 99));
      const out = await read(b, b.where({ storage: upload(b, cv, 'int32'), view: C.view }, { storage: upload(b, av), view: A.view }, { storage: upload(b, bv), view: B.view }, shape));
      expectClose(`where [${shape}]`, out, [...indices(shape)].map((i) => (cv[offsetOf(C.view, i)] !== 0 ? av[offsetOf(A.view, i)]! : bv[offsetOf(B.view, i)]!)), 0, 0);
    }
    const condF = [0, NaN, -0, 2, 0], shape = [3, 4, 5];
    const aData = f32Values(randomArray(60, 10)), bData = f32Values(randomArray(5, 11));
    const cfv = view(shape, [0, 0, 1]), av = view(shape), bv = view(shape, [0, 0, -1], 4);
    const got = await read(b, b.where({ storage: upload(b, condF), view: cfv }, { storage: upload(b, aData), view: av }, { storage: upload(b, bData), view: bv }, shape));
    expect([...got]).toEqual([...indices(shape)].map((i) => (condF[offsetOf(cfv, i)] !== 0 ? aData[offsetOf(av, i)] : bData[offsetOf(bv, i)])));
  });

  it('copy materialises any view (random, permuted, broadcast, flipped, 9-D that coalesces); assign writes through one', async () => {
    const b = get();
    if (!b) return;
    const r = rng(4);
    for (let trial = 0; trial < 15; trial++) {
      const shape = randomShape(r);
      const S = randomView(shape, r);
      const sv = f32Values(randomArray(S.size, trial));
      const src = upload(b, sv);
      expectClose(`copy [${shape}]`, await read(b, b.copy({ storage: src, view: S.view })), gatherView(sv, S.view), 0, 0);
      // a destination view without broadcast dims, so every element written is observable
      const { view: dView, size } = randomView(shape, r, false);
      const dstData = f32Values(randomArray(size, trial + 7));
      const dst = upload(b, dstData);
      b.assign(dst, dView, { storage: src, view: S.view });
      const want = Array.from(dstData);
      for (const i of indices(shape)) want[offsetOf(dView, i)] = sv[offsetOf(S.view, i)]!;
      expectClose(`assign [${shape}]`, await read(b, dst), want, 0, 0);
    }
    const data = f32Values(randomArray(3 * 5 * 17 * 19, 3));
    const x = upload(b, data);
    const shape = [3, 5, 17, 19];
    for (const v of [view(shape), view(shape, [0, 1, 0, 0], 3), view(shape, [5 * 17 * 19, 17 * 19, 1, 17]), view(shape, [5 * 17 * 19, 17 * 19, 19, -1], 18),
      view(shape, [1, 3, 15, 15 * 17]), view([6, 4, 5], [1, 30, 6]), view([2, 1, 3, 1, 2, 1, 2, 1, 2], [60, 0, 20, 0, 5, 0, 2, 0, 1])]) {
      expectClose(`copy ${JSON.stringify(v.strides)}`, await read(b, b.copy({ storage: x, view: v })), gatherView(data, v), 0, 0);
    }
    const ints = Int32Array.from({ length: 24 }, (_, i) => (i * 37) % 201 - 100);
    const vi = view([4, 3], [-1, 8], 3);
    expect([...await b.read(b.copy({ storage: b.upload(ints), view: vi }))]).toEqual(gatherView(ints, vi));
  });

  it('assign from an overlapping view of the same storage reads the old values; a view past the storage is an error', async () => {
    const b = get();
    if (!b) return;
    const s = upload(b, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    b.assign(s, view([10], [1], 0), { storage: s, view: view([10], [-1], 9) });
    expect(Array.from(await read(b, s))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const t = upload(b, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    b.assign(t, view([9], [1], 1), { storage: t, view: view([9], [1], 0) });
    expect(Array.from(await read(b, t))).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => b.assign(t, view([3], [1], 8), { storage: t, view: view([3]) })).toThrow(new RegExp(`${device.kernelPrefix}\\.assign: dst view .*reaches elements 8\\.\\.10`));
  });

  it('cast truncates toward zero into int32 and rounds once into float32', async () => {
    const b = get();
    if (!b) return;
    expect(Array.from(await b.read(b.cast(upload(b, [1.7, -1.7, 2.5, -0.5, 3, 1e9, -7]), 'int32')))).toEqual([1, -1, 2, 0, 3, 1e9, -7]);
    expect(Array.from(await b.read(b.cast(upload(b, [3, -4, 16777217, 0], 'int32'), 'float32')))).toEqual([3, -4, 16777216, 0]);
    if (device.gpu) {
      // the GPU stores NaN and ±∞ as 0
      expect(Array.from(await b.read(b.cast(upload(b, [NaN, Infinity, -Infinity]), 'int32')))).toEqual([0, 0, 0]);
    } else {
      expect((await b.read(b.cast(upload(b, [0.1], 'float64'), 'float32')))[0]).toBe(Math.fround(0.1));
      const back = await b.read(b.cast(upload(b, [-5, 7], 'int32'), 'float64'));
      expect(back).toBeInstanceOf(Float64Array);
      expect(Array.from(back)).toEqual([-5, 7]);
    }
  });
});
