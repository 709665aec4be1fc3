/**
 * Max and average pooling and the device's fused pooling gradients on every device, against naive
 * window loops: overlapping, padded and ceil-mode windows, both average divisors, ties to the first
 * maximum in row-major window order, NaN winning its window, padding never winning (even against
 * negative values); errors for windows made only of padding and (on the host) argmax outside the
 * plane.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pool2dParams } from '../../src/core/backend.js';
import { DEVICES, expectClose, f32Values, openDevice, randomArray, read, rng, upload } from './devices.js';

export function poolCase(n: number, c: number, inH: number, inW: number, k: [number, number], s: [number, number], pad: [number, number], ceil = false): Pool2dParams {
  const size = (i: number, kk: number, ss: number, pp: number) => {
    let o = (ceil ? Math.ceil((i + 2 * pp - kk) / ss) : Math.floor((i + 2 * pp - kk) / ss)) + 1;
    if (ceil && (o - 1) * ss >= i + pp) o--;
    return o;
  };
  return { n, c, inH, inW, outH: size(inH, k[0], s[0], pad[0]), outW: size(inW, k[1], s[1], pad[1]), kH: k[0], kW: k[1],
    strideH: s[0], strideW: s[1], padTop: pad[0], padLeft: pad[1], countIncludePad: true };
}

/** per output cell: the real cells of its window (row-major) and the divisor with padding */
function naivePool(x: ArrayLike<number>, p: Pool2dParams, dy: ArrayLike<number>) {
  const plane = p.inH * p.inW, outPlane = p.outH * p.outW;
  const max: number[] = [], arg: number[] = [], avg: number[] = [];
  const dxMax = new Float64Array(x.length), dxAvg = new Float64Array(x.length);
  for (let pl = 0; pl < p.n * p.c; pl++) for (let oy = 0; oy < p.outH; oy++) for (let ox = 0; ox < p.outW; ox++) {
    const cells: number[] = [];
    let padded = 0;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const iy = oy * p.strideH - p.padTop + ky, ix = ox * p.strideW - p.padLeft + kx;
      if (iy < p.inH + p.padTop && ix < p.inW + p.padLeft) padded++;
      if (iy >= 0 && iy < p.inH && ix >= 0 && ix < p.inW) cells.push(iy * p.inW + ix);
    }
    const vals = cells.map((cell) => x[pl * plane + cell]!);
    let at = 0;
    for (let i = 1; i < vals.length; i++) if (vals[i]! > vals[at]! || (Number.isNaN(vals[i]) && !Number.isNaN(vals[at]))) at = i;
    const o = pl * outPlane + oy * p.outW + ox;
    max.push(vals[at]!); arg.push(cells[at]!);
    dxMax[pl * plane + cells[at]!] += dy[o]!;
    const div = p.countIncludePad ? padded : cells.length;
    avg.push(vals.reduce((a, v) => a + v, 0) / div);
    for (const cell of cells) dxAvg[pl * plane + cell] += dy[o]! / div;
  }
  return { max, arg, avg, dxMax, dxAvg };
}

const CASES: Array<[string, Pool2dParams]> = [
  ['2×2 stride 2', poolCase(2, 3, 6, 6, [2, 2], [2, 2], [0, 0])],
  ['2×2 stride 2 on an odd plane', poolCase(2, 3, 13, 12, [2, 2], [2, 2], [0, 0])],
  ['3×3 stride 2 pad 1, odd input', poolCase(1, 2, 7, 5, [3, 3], [2, 2], [1, 1])],
  ['3×3 stride 1 (overlapping)', poolCase(2, 3, 13, 12, [3, 3], [1, 1], [0, 0])],
  ['3×2 kernel, strides 1×2, pad 1', poolCase(1, 1, 5, 6, [3, 2], [1, 2], [1, 1])],
  ['2×3 kernel, strides 1×2, pad 1×0', poolCase(2, 3, 13, 12, [2, 3], [1, 2], [1, 0])],
  ['ceil mode: the last window hangs past the input', poolCase(1, 2, 5, 5, [2, 2], [2, 2], [0, 0], true)],
  ['ceil mode with padding', poolCase(1, 1, 6, 6, [3, 3], [2, 2], [1, 1], true)],
];

describe.each(DEVICES)('pooling on $name', (device) => {
  const get = openDevice(device);

  for (const [name, p] of CASES) {
    it(`max and average (both divisors) with their gradients: ${name}`, async () => {
      const b = get();
      if (!b) return;
      // a coarse grid gives many ties; all values negative so a padding zero would win if allowed
      const r = rng(40);
      const x = Array.from({ length: p.n * p.c * p.inH * p.inW }, () => -1 - Math.round(r() * 3));
      const dy = f32Values(randomArray(p.n * p.c * p.outH * p.outW, 41));
      for (const dtype of device.float64 ? (['float64', 'float32'] as const) : (['float32'] as const)) {
        const tol = dtype === 'float64' ? 1e-14 : 1e-6;
        for (const countIncludePad of [true, false]) {
          const q = { ...p, countIncludePad };
          const want = naivePool(x, q, dy);
          const { out, argmax } = b.maxPool2d(upload(b, x, dtype), q);
          expectClose(`max ${dtype}`, await read(b, out), want.max, 0, 0);
          expect(Array.from(await b.read(argmax)), 'argmax').toEqual(want.arg);
          expectClose(`max grad ${dtype}`, await read(b, b.accelerated.maxPool2dBackward!(upload(b, dy, dtype), argmax, q)), want.dxMax, tol, tol);
          expectClose(`avg ${countIncludePad} ${dtype}`, await read(b, b.avgPool2d(upload(b, x, dtype), q)), want.avg, tol, tol);
          expectClose(`avg grad ${countIncludePad} ${dtype}`, await read(b, b.accelerated.avgPool2dBackward!(upload(b, dy, dtype), q)), want.dxAvg, tol, tol);
        }
      }
    });
  }

  it('fast-check windows: overlapping, padded, ceil mode, both divisors', async () => {
    const b = get();
    if (!b) return;
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), inH: fc.integer({ min: 1, max: 9 }), inW: fc.integer({ min: 1, max: 9 }),
      kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }), sH: fc.integer({ min: 1, max: 3 }), sW: fc.integer({ min: 1, max: 3 }),
      pT: fc.integer({ min: 0, max: 2 }), pL: fc.integer({ min: 0, max: 2 }), countIncludePad: fc.boolean(), ceil: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    }).map((q) => ({ ...poolCase(q.n, q.c, q.inH, q.inW, [q.kH, q.kW], [q.sH, q.sW], [q.pT, q.pL], q.ceil), countIncludePad: q.countIncludePad, seed: q.seed }))
      .filter((p) => 2 * p.padTop <= p.kH && 2 * p.padLeft <= p.kW && p.outH > 0 && p.outW > 0);
    await fc.assert(fc.asyncProperty(cases, async ({ seed, ...p }) => {
      const gen = rng(seed);
      // quantised values: ties in most windows (the first maximum must win)
      const x = Array.from({ length: p.n * p.c * p.inH * p.inW }, () => Math.floor(gen() * 4));
      const dy = f32Values(randomArray(p.n * p.c * p.outH * p.outW, seed + 1));
      const want = naivePool(x, p, dy);
      const { out, argmax } = b.maxPool2d(upload(b, x), p);
      expect([...await read(b, out)]).toEqual(want.max);
      expect([...await b.read(argmax)]).toEqual(want.arg);
      expectClose('maxPool backward', await read(b, b.accelerated.maxPool2dBackward!(upload(b, dy), argmax, p)), want.dxMax, 1e-6, 1e-6);
      expectClose('avgPool', await read(b, b.avgPool2d(upload(b, x), p)), want.avg, 1e-6, 1e-6);
      expectClose('avgPool backward', await read(b, b.accelerated.avgPool2dBackward!(upload(b, dy), p)), want.dxAvg, 1e-6, 1e-6);
    }), { numRuns: 12, seed: 2 });
  });

  it('ties go to the first maximum in row-major window order; a NaN wins its window; padding never wins', async () => {
    const b = get();
    if (!b) return;
    const p = poolCase(1, 1, 2, 4, [2, 2], [2, 2], [0, 0]);
    const t = b.maxPool2d(upload(b, [0, 0, 5, 1, 0, 0, 5, 5]), p);
    expect(Array.from(await read(b, t.out))).toEqual([0, 5]);
    expect(Array.from(await b.read(t.argmax))).toEqual([0, 2]);
    const nan = b.maxPool2d(upload(b, [1, NaN, 9, NaN]), poolCase(1, 1, 2, 2, [2, 2], [2, 2], [0, 0]));
    expect((await read(b, nan.out))[0]).toBeNaN();
    expect((await b.read(nan.argmax))[0]).toBe(1);
    const q = { ...poolCase(1, 1, 2, 4, [2, 2], [2, 2], [1, 1]) };
    const padded = b.maxPool2d(upload(b, [-5, -6, NaN, 1, -7, -8, 2, 3]), q);
    const o = await read(b, padded.out);
    expect([o[0], o[2], o[3], o[5]]).toEqual([-5, 1, -7, 3]);
    expect(o[1]).toBeNaN();
    expect([...await b.read(padded.argmax)]).toEqual([0, 2, 3, 4, 6, 7]);
  });

  it('a window made only of padding is an error; on the host, so is an argmax outside the plane', () => {
    const b = get();
    if (!b) return;
    const p = poolCase(1, 1, 4, 4, [2, 2], [2, 2], [0, 0]);
    expect(() => b.maxPool2d(upload(b, new Float32Array(16)), { ...p, outH: 4 })).toThrow(new RegExp(`${device.kernelPrefix}\\.maxPool2d: .*covers only padding`));
    expect(() => b.avgPool2d(upload(b, new Float32Array(16)), { ...p, padTop: 2, kH: 2 })).toThrow(/covers only padding/);
    if (!device.gpu) {
      expect(() => b.accelerated.maxPool2dBackward!(upload(b, [1, 1, 1, 1]), upload(b, [0, 1, 16, 2], 'int32'), p)).toThrow(/argmax\[2\] = 16 is outside/);
    }
  });
});
