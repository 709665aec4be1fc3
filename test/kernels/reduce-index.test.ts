/**
 * Reductions and gather/scatterAdd on every device against naive loops: every reduction over
 * [outer, reduce, inner] layouts with ties and NaN, long reductions with few outputs, empty
 * reductions, int32, float32 sums accumulated accurately; gather and deterministic scatterAdd with
 * repeated indices; errors naming the kernel (an out-of-range index throws on a CPU-resident
 * device and reads NaN on a GPU).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReduceOp } from '../../src/core/backend.js';
import { REDUCE_OPS } from '../../src/core/kernel-contract.js';
import { DEVICES, expectClose, f32Values, openDevice, randomArray, read, rng, specialValues, upload } from './devices.js';

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

describe.each(DEVICES)('reductions and indexing on $name', (device) => {
  const get = openDevice(device);

  it('every op over [outer, reduce, inner] layouts, ties and NaN included (float64 where supported)', async () => {
    const b = get();
    if (!b) return;
    const r = rng(5);
    for (const [outer, red, inner] of [[1, 7, 1], [3, 5, 1], [2, 4, 3], [1, 1, 6], [4, 3, 2], [2, 6, 5]] as const) {
      // values on a coarse grid so ties are common; a NaN in some slices
      const x = Array.from({ length: outer * red * inner }, () => Math.round(r() * 6 - 3) / 2);
      if (x.length > inner + 1 && outer * inner > 2) x[inner + 1] = NaN;
      for (const dtype of device.float64 ? (['float64', 'float32'] as const) : (['float32'] as const)) {
        for (const op of REDUCE_OPS) {
          const y = b.reduce(op, upload(b, x, dtype), outer, red, inner);
          expect(y.dtype).toBe(op.startsWith('arg') ? 'int32' : dtype);
          expectClose(`${op} ${dtype} [${outer},${red},${inner}]`, await read(b, y), naiveReduce(op, x, outer, red, inner), 1e-7, 0);
        }
      }
    }
  });

  it('fast-check shapes up to 300 long, few distinct values: ties go to the first index', async () => {
    const b = get();
    if (!b) return;
    await fc.assert(fc.asyncProperty(
      fc.record({ outer: fc.integer({ min: 1, max: 5 }), red: fc.integer({ min: 1, max: 300 }), inner: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 1, max: 1e6 }) }),
      async ({ outer, red, inner, seed }) => {
        const gen = rng(seed);
        const x = Float64Array.from({ length: outer * red * inner }, () => (Math.floor(gen() * 7) - 3) * 0.5);
        const X = upload(b, x);
        for (const op of REDUCE_OPS) {
          if (op === 'prod' && red > 20) continue;
          expectClose(`${op} [${outer}, ${red}, ${inner}]`, await read(b, b.reduce(op, X, outer, red, inner)), naiveReduce(op, x, outer, red, inner), 1e-5, 1e-5);
        }
        b.free(X);
      }), { numRuns: 8, seed: 1 });
  });

  it('long reductions: exact max/min and argmax indices, sums within float32 accumulation; the same bits twice', async () => {
    const b = get();
    if (!b) return;
    for (const [outer, red, inner] of [[7, 1000, 1], [1, 5003, 1], [3, 50, 37], [1, 64, 4099], [1000, 9, 5], [2, 4097, 2], [2, 0, 4100]] as const) {
      const data = specialValues(outer * red * inner, outer + red + inner);
      const finite = Float64Array.from(data, (v) => (Number.isFinite(v) ? v : 0.25));
      for (const op of ['sum', 'max', 'min'] as const) {
        if (red === 0 && op !== 'sum') continue;
        const input = op === 'sum' ? finite : data;
        const got = await read(b, b.reduce(op, upload(b, input), outer, red, inner));
        const want = naiveReduce(op, input, outer, red, inner);
        const what = `${op} [${outer}, ${red}, ${inner}]`;
        // ±0 ties may resolve to either zero
        if (op === 'sum') expectClose(what, got, want, 2e-7 * Math.sqrt(red), 2e-7 * Math.sqrt(red));
        else expectClose(what, got, want, 0, 0);
      }
    }
    const n = 50_000;
    const x = f32Values(randomArray(2 * n, 2));
    x[2 * n - 7] = 5; x[123] = 5; x[n + 10] = 5; // a tie in row 0 (index 123) and in row 1 (index 10)
    const X = upload(b, x);
    const sum = await read(b, b.reduce('sum', X, 2, n, 1));
    expectClose('sum', sum, naiveReduce('sum', x, 2, n, 1), 1e-5, 1e-3);
    expect([...await read(b, b.reduce('argmax', X, 2, n, 1))]).toEqual([123, 10]);
    expect([...await read(b, b.reduce('max', X, 2, n, 1))]).toEqual([5, 5]);
    expect([...await read(b, b.reduce('sum', X, 2, n, 1))]).toEqual([...sum]);
    const y = f32Values(randomArray(3 * n, 3));
    y[2 * 3 + 1] = NaN; // column 1 of the [n, 3] matrix holds a NaN at row 2
    const Y = upload(b, y);
    expect([...await read(b, b.reduce('argmin', Y, 1, n, 3))]).toEqual(naiveReduce('argmin', y, 1, n, 3));
    expect((await read(b, b.reduce('max', Y, 1, n, 3)))[1]).toBeNaN();
  });

  it('NaN wins max/argmax; int32 reductions; empty reductions give the identity; float32 sums round once on the host', async () => {
    const b = get();
    if (!b) return;
    const X = upload(b, [1, NaN, 3, NaN, 2, 5]);
    expect([...await read(b, b.reduce('argmax', X, 1, 6, 1))]).toEqual([1]);
    expect([...await read(b, b.reduce('argmin', X, 2, 3, 1))]).toEqual([1, 0]);
    expect((await read(b, b.reduce('min', X, 1, 6, 1)))[0]).toBeNaN();
    expect([...await read(b, b.reduce('argmax', upload(b, [3, 1, 3, 1, 2, 1]), 1, 3, 2))]).toEqual([0, 0]);
    const xi = [5, -7, 3, 9, 9, -7];
    for (const op of REDUCE_OPS) expect([...await b.read(b.reduce(op, upload(b, xi, 'int32'), 2, 3, 1))], op).toEqual(naiveReduce(op, xi, 2, 3, 1));
    const E = upload(b, []);
    expect([...await read(b, b.reduce('sum', E, 2, 0, 3))]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([...await read(b, b.reduce('prod', E, 1, 0, 2))]).toEqual([1, 1]);
    expect([...await read(b, b.reduce('max', E, 1, 0, 1))]).toEqual([-Infinity]);
    expect([...await read(b, b.reduce('argmin', E, 1, 0, 2))]).toEqual([0, 0]);
    expect((await read(b, b.reduce('sum', E, 0, 5, 0))).length).toBe(0);
    if (!device.gpu) {
      const v = f32Values(randomArray(1000, 6));
      expect((await read(b, b.reduce('sum', upload(b, v), 1, 1000, 1)))[0]).toBe(Math.fround(Array.from(v).reduce((a, c) => a + c, 0)));
    }
    expect(() => b.reduce('sum', X, 2, 2, 2)).toThrow(new RegExp(`${device.kernelPrefix}\\.reduce\\(sum\\): x has 6 elements, expected 8`));
  });

  it('gather and scatterAdd along the middle axis: repeated indices add up (float and int32), float sums accurate', async () => {
    const b = get();
    if (!b) return;
    const r = rng(50);
    const [outer, axis, inner, count] = [3, 5, 4, 7];
    const x = f32Values(randomArray(outer * axis * inner, 51));
    const index = Array.from({ length: outer * count * inner }, () => Math.floor(r() * axis));
    const src = f32Values(randomArray(outer * count * inner, 52));
    const gathered: number[] = [], scattered = new Float64Array(outer * axis * inner);
    const srcI = index.map((k, t) => (k * 7 + t) % 19 - 9), scatteredI = new Array<number>(outer * axis * inner).fill(0);
    for (let o = 0; o < outer; o++) for (let j = 0; j < count; j++) for (let i = 0; i < inner; i++) {
      const t = (o * count + j) * inner + i, at = (o * axis + index[t]!) * inner + i;
      gathered.push(x[at]!);
      scattered[at] += src[t]!;
      scatteredI[at] += srcI[t]!;
    }
    const I = upload(b, index, 'int32');
    expectClose('gather', await read(b, b.gather(upload(b, x), I, outer, axis, inner, count)), gathered, 0, 0);
    expectClose('scatterAdd', await read(b, b.scatterAdd(upload(b, src), I, outer, axis, inner, count)), scattered, 1e-6, 1e-7);
    expect([...await b.read(b.scatterAdd(upload(b, srcI, 'int32'), I, outer, axis, inner, count))]).toEqual(scatteredI);
    const xi = [3, -8, 11, 0, 5, -1, 9, 2, -4, 7];
    expect([...await b.read(b.gather(upload(b, xi, 'int32'), upload(b, [9, 0, 3], 'int32'), 1, 10, 1, 3))]).toEqual([xi[9], xi[0], xi[3]]);
    expect([...await read(b, b.scatterAdd(upload(b, []), upload(b, [], 'int32'), 2, 3, 1, 0))]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('an index out of range: an error naming the kernel (nothing leaked) on the host, NaN on a GPU', async () => {
    const b = get();
    if (!b) return;
    const x = upload(b, [1, 2, 3]), idx = upload(b, [0, 3], 'int32');
    if (device.gpu) {
      expect((await read(b, b.gather(x, idx, 1, 3, 1, 2)))[1]).toBeNaN();
      return;
    }
    const before = b.memory().liveBuffers;
    expect(() => b.gather(x, idx, 1, 3, 1, 2)).toThrow(new RegExp(`${device.kernelPrefix}\\.gather: index\\[1\\] = 3 is outside \\[0, 3\\)`));
    expect(() => b.scatterAdd(upload(b, [1, 1]), idx, 1, 3, 1, 2)).toThrow(new RegExp(`${device.kernelPrefix}\\.scatterAdd`));
    expect(b.memory().liveBuffers).toBe(before + 1);
  });
});
