/**
 * Unary kernels on every device: each op against its formula in float64 (devices that run float64)
 * and against the float64 reference on float32 inputs with special values (±0, NaN, ±∞, large
 * arguments), the vector remainder past the last full SIMD vector, int32 inputs, parameter checks.
 * CPU-resident devices give the reference's float32 bits (computed in float64, rounded once).
 */
import { describe, expect, it } from 'vitest';
import type { UnaryOp } from '../../src/core/backend.js';
import { UNARY_OPS } from '../../src/core/kernel-contract.js';
import { DEVICES, expectClose, expectSameBits, f32Values, openDevice, randomArray, read, reference, specialValues, upload } from './devices.js';

/** double-precision erf for the references: the all-positive series (fine for |x| < 6) */
function refErf(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 400; n++) { term *= (2 * x * x) / (2 * n + 1); sum += term; if (Math.abs(term) < 1e-18 * Math.abs(sum)) break; }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** every op's formula and the parameters the tests give it */
export const UNARY_REF: Record<UnaryOp, [(x: number, p: number[]) => number, number[]]> = {
  neg: [(x) => -x, []], abs: [Math.abs, []], sign: [(x) => (x > 0 ? 1 : x < 0 ? -1 : 0), []],
  exp: [Math.exp, []], log: [Math.log, []], log1p: [Math.log1p, []], sqrt: [Math.sqrt, []],
  rsqrt: [(x) => 1 / Math.sqrt(x), []], square: [(x) => x * x, []], reciprocal: [(x) => 1 / x, []],
  sin: [Math.sin, []], cos: [Math.cos, []], tanh: [Math.tanh, []], sigmoid: [(x) => 1 / (1 + Math.exp(-x)), []],
  relu: [(x) => Math.max(x, 0), []], gelu: [(x) => 0.5 * x * (1 + refErf(x / Math.SQRT2)), []],
  softplus: [(x) => (x > 20 ? x : Math.log(1 + Math.exp(x))), []], floor: [Math.floor, []],
  isfinite: [(x) => (Number.isFinite(x) ? 1 : 0), []], leakyRelu: [(x, p) => (x > 0 ? x : p[0]! * x), [0.1]],
  clamp: [(x, p) => Math.min(Math.max(x, p[0]!), p[1]!), [-0.5, 0.75]], powScalar: [(x, p) => Math.pow(x, p[0]!), [3]],
  affine: [(x, p) => p[0]! * x + p[1]!, [2.5, -1]], normalCdf: [(x) => 0.5 * (1 + refErf(x / Math.SQRT2)), []],
};

const SPECIAL = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3.25, -3.25, 10, -10, 1e-7, -1e-7, 25, -25, 80, -80, NaN, Infinity, -Infinity];

describe.each(DEVICES)('unary kernels on $name', (device) => {
  const get = openDevice(device);

  it.runIf(device.float64)('every op matches its formula in float64', async () => {
    const b = get();
    if (!b) return;
    const xs = [...randomArray(40, 1, -4, 4), 0, -0, 0.5, -0.5, 1, -1, 3.25];
    for (const op of UNARY_OPS) {
      const [f, params] = UNARY_REF[op];
      const y = await read(b, b.unary(op, upload(b, xs, 'float64'), params));
      // the reference gelu/Φ cancel in 1 + erf(x/√2) for x < −2 (good to ~1e-15 absolute only)
      const tail = op === 'gelu' || op === 'normalCdf';
      expectClose(op, y, xs.map((x) => f(x, params)), tail ? 1e-13 : 1e-15, tail ? 4e-15 : 1e-15);
    }
  });

  it('every op on float32 inputs (special values included) matches the float64 reference', async () => {
    const b = get();
    if (!b) return;
    const values = f32Values([...SPECIAL, ...randomArray(200, 6, -8, 8), ...randomArray(40, 7, 0, 3)]);
    const x = upload(b, values), xr = upload(reference, values, 'float64');
    for (const op of UNARY_OPS) {
      const params = UNARY_REF[op][1];
      const got = await read(b, b.unary(op, x, params));
      const want = f32Values(reference.readSync(reference.unary(op, xr, params)));
      if (!device.gpu) { expectSameBits(`unary ${op}`, got, want); continue; }
      // transcendental functions are a few ulps; sin/cos to 1e-7 absolute on moderate arguments
      const transcendental = ['exp', 'log', 'log1p', 'sigmoid', 'softplus', 'tanh', 'gelu', 'normalCdf', 'rsqrt', 'powScalar'].includes(op);
      const [rtol, atol] = op === 'sin' || op === 'cos' ? [0, 1.5e-7] : transcendental ? device.transcendental : [1e-7, 1e-7];
      const keep = [...values.keys()].filter((i) => !((op === 'sin' || op === 'cos') && !(Math.abs(values[i]!) <= 100)));
      expectClose(`unary ${op}`, keep.map((i) => got[i]!), keep.map((i) => want[i]!), rtol, atol);
    }
  });

  it('gelu and Φ stay within 1e-6 of the exact erf form over [−12, 12]', async () => {
    const b = get();
    if (!b) return;
    const values = f32Values(Float64Array.from({ length: 2401 }, (_, i) => -12 + i * 0.01));
    const x = upload(b, values), xr = upload(reference, values, 'float64');
    for (const op of ['gelu', 'normalCdf'] as const) {
      expectClose(op, await read(b, b.unary(op, x)), reference.readSync(reference.unary(op, xr)), 0, 1e-6);
    }
  });

  it('the SIMD ops over 4099 values (a remainder after the last full vector), special values mixed in', async () => {
    const b = get();
    if (!b) return;
    const data = specialValues(4099, 1);
    const x = upload(b, data), xr = upload(reference, data, 'float64');
    const cases: Array<[UnaryOp, number[]]> = [['relu', []], ['sign', []], ['neg', []], ['abs', []], ['square', []], ['leakyRelu', [0.25]], ['clamp', [-0.25, 0.375]]];
    for (const [op, params] of cases) {
      const got = await read(b, b.unary(op, x, params)), want = f32Values(reference.readSync(reference.unary(op, xr, params)));
      // ±0 from a GPU's relu may differ in sign
      if (device.gpu) expectClose(op, got, want, 0, 0); else expectSameBits(op, got, want);
    }
    for (const [scale, shift] of [[1 / 3, 0.1], [-2.5, 0], [1e-30, 1e30], [1 / 65536, -1 / 7]] as const) {
      const got = await read(b, b.unary('affine', x, [scale, shift]));
      const want = f32Values(reference.readSync(reference.unary('affine', xr, [scale, shift])));
      // CPU-resident devices compute scale·x + shift in float64 and round once; a GPU in float32
      // (its product is rounded before the shift is added: an ulp of the shift absolute)
      if (device.gpu) expectClose(`affine(${scale}, ${shift})`, got, want, 3e-7, 2e-7 * Math.abs(shift) + 1e-30); else expectSameBits(`affine(${scale}, ${shift})`, got, want);
    }
  });

  it('int32 inputs follow the reference (integer forms, or float and truncate)', async () => {
    const b = get();
    if (!b) return;
    const values = Int32Array.from([0, 1, -1, 2, -2, 7, -7, 100, -100, 46340, 123456]);
    const x = b.upload(values), xr = reference.upload(values);
    const ops: [UnaryOp, number[]][] = [['neg', []], ['abs', []], ['sign', []], ['square', []], ['relu', []], ['floor', []], ['isfinite', []],
      ['clamp', [-3, 50]], ['affine', [2, 1]], ['affine', [0.5, 0]], ['powScalar', [2]], ['powScalar', [3]], ['powScalar', [0.5]],
      ['leakyRelu', [0.5]], ['sqrt', []], ['exp', []]];
    for (const [op, p] of ops) {
      const keep = op === 'exp' ? [0, 1, 2, 3, 4, 5, 6] : [...values.keys()];
      const y = b.unary(op, x, p);
      expect(y.dtype, `int32 ${op}`).toBe('int32');
      const got = await b.read(y), want = reference.readSync(reference.unary(op, xr, p));
      expect(keep.map((i) => got[i]), `int32 ${op}(${p})`).toEqual(keep.map((i) => want[i]));
    }
    // float arithmetic, then truncation toward zero
    expect([...await b.read(b.unary('affine', b.upload(Int32Array.of(1, -3, 7)), [0.5, 0]))]).toEqual([0, -1, 3]);
    expect([...await b.read(b.unary('neg', b.upload(Int32Array.of(5, -2))))]).toEqual([-5, 2]);
  });

  it('relu(0) = 0, sign(0) = 0, isfinite, clamp and relu propagate NaN, sigmoid saturates', async () => {
    const b = get();
    if (!b) return;
    const v = upload(b, [0, -0, NaN, Infinity, -Infinity]);
    expect(Array.from(await read(b, b.unary('isfinite', v)))).toEqual([1, 1, 0, 0, 0]);
    expect(Array.from(await read(b, b.unary('sign', v)))).toEqual([0, 0, 0, 1, -1]);
    const relu = await read(b, b.unary('relu', v));
    expect(relu[0]).toBe(0); expect(relu[2]).toBeNaN(); expect(relu[3]).toBe(Infinity); expect(relu[4]).toBe(0);
    expect((await read(b, b.unary('clamp', upload(b, [NaN]), [0, 1])))[0]).toBeNaN();
    expect(Array.from(await read(b, b.unary('sigmoid', upload(b, [-1000, 1000]))))).toEqual([0, 1]);
  });

  it('reluBackward (the ReLU gradient acceleration) gives g where y > 0, else +0, against the float64 formula', async () => {
    const b = get();
    if (!b) return;
    const fused = b.accelerated.reluBackward;
    expect(fused, 'every device lists reluBackward').toBeTypeOf('function');
    // 4099 values reach the wasm kernel past its last full vector; 9 stay on the reference's loop
    for (const n of [4099, 9]) {
      const ys = specialValues(n, 2), gs = specialValues(n, 3);
      ys[1] = 1; gs[1] = NaN; ys[2] = -0; gs[2] = NaN; ys[3] = NaN; gs[3] = 1; ys[4] = Infinity; gs[4] = -0;
      const want = Array.from(ys, (y, i) => (y > 0 ? gs[i]! : 0));
      for (const dtype of device.float64 ? ['float32', 'float64'] as const : ['float32'] as const) {
        const got = await read(b, fused!(upload(b, gs, dtype), upload(b, ys, dtype)));
        if (device.gpu) expectClose(`reluBackward ${n}`, got, want, 0, 0); else expectSameBits(`reluBackward ${n} ${dtype}`, got, want);
      }
    }
    expect(() => fused!(upload(b, new Float32Array(5000)), upload(b, new Float32Array(4999))))
      .toThrow(new RegExp(`${device.kernelPrefix}\\.reluBackward: g has 5000 elements, expected 4999`));
  });

  it('a missing parameter is an error naming the kernel', () => {
    const b = get();
    if (!b) return;
    expect(() => b.unary('clamp', upload(b, [1]), [0])).toThrow(new RegExp(`${device.kernelPrefix}\\.unary\\(clamp\\).*2 parameter`));
    expect(() => b.unary('leakyRelu', upload(b, new Float32Array(5000)), [])).toThrow(/needs 1 parameter/);
  });
});
