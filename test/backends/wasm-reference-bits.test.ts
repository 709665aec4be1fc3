/**
 * The WebAssembly backend's elementwise, pooling, batch-norm and optimizer kernels give the CPU
 * reference's float32 bits (float64 arithmetic, one rounding; sums in another order within their
 * rounding), on SIMD and on the scalar fallback, with every call split across two threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createWasmBackend } from '../../src/backends/create.js';
import type { WasmBackend, WasmKernelOptions } from '../../src/backends/wasm/index.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import type { AdamParams, Backend, BinaryOp, Pool2dParams, SgdParams, Storage, StridedView, UnaryOp } from '../../src/core/backend.js';
import { random, randomF32 } from './wasm-helpers.js';

const features = probeFeatures();

const BIT_CONFIGS: Array<{ name: string; opts: WasmKernelOptions }> = [
  ...(features.simd ? [{ name: 'SIMD, 2 threads', opts: { threads: 2, parallelThreshold: 0 } }] : []),
  { name: 'scalar fallback, 2 threads', opts: { threads: 2, simd: false, parallelThreshold: 0 } },
];

describe.each(BIT_CONFIGS)('elementwise, pooling and optimizer kernels equal the reference bit for bit: $name', (cfg) => {
  const cpu = new CpuBackend();
  let wasm: WasmBackend;
  beforeAll(async () => { wasm = await createWasmBackend({ ...cfg.opts, verbose: false }); });
  afterAll(() => wasm?.dispose());

  /** values with NaN, ±0, ±Infinity and ties mixed in */
  function specialValues(n: number, seed: number): Float32Array {
    const rng = random(seed), a = randomF32(n, rng);
    const specials = [NaN, 0, -0, Infinity, -Infinity, 0.5, 0.5];
    for (let i = 0; i < n; i += 7 + Math.floor((rng() + 0.5) * 50)) a[i] = specials[i % specials.length]!;
    return a;
  }
  const same = async (what: string, x: Storage, y: Storage) => {
    const a = await x.backend.read(x), b = await y.backend.read(y);
    expect(a.length, what).toBe(b.length);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`${what}[${i}]: ${a[i]} vs reference ${b[i]}`);
  };

  it('unary ops, including the remainder after the last full vector', async () => {
    const data = specialValues(4099, 1);
    const x = wasm.upload(data), xr = cpu.upload(data);
    const cases: Array<[UnaryOp, number[]]> = [['relu', []], ['sign', []], ['neg', []], ['abs', []], ['square', []], ['leakyRelu', [0.25]], ['clamp', [-0.25, 0.375]]];
    for (const [op, params] of cases) {
      const y = wasm.unary(op, x, params), yr = cpu.unary(op, xr, params);
      await same(op, y, yr);
      wasm.free(y);
    }
    wasm.free(x);
  });

  it('affine (float64 scale and shift, rounded once) and strided copies', async () => {
    const data = specialValues(4099, 4);
    const x = wasm.upload(data), xr = cpu.upload(data);
    for (const [scale, shift] of [[1 / 3, 0.1], [-2.5, 0], [1e-30, 1e30], [1 / 65536, -1 / 7]] as const) {
      await same(`affine(${scale}, ${shift})`, wasm.unary('affine', x, [scale, shift]), cpu.unary('affine', xr, [scale, shift]));
    }
    const shape = [3, 5, 17, 19];
    const size = shape.reduce((p, d) => p * d, 1);
    const a = specialValues(size, 5);
    const A = wasm.upload(a), Ar = cpu.upload(a);
    const views: StridedView[] = [
      { shape, strides: [5 * 17 * 19, 17 * 19, 19, 1], offset: 0 },
      { shape, strides: [0, 1, 0, 0], offset: 3 },
      { shape, strides: [5 * 17 * 19, 17 * 19, 1, 17], offset: 0 },
      { shape, strides: [5 * 17 * 19, 17 * 19, 19, -1], offset: 18 },
      { shape, strides: [1, 3, 15, 15 * 17], offset: 0 },
    ];
    for (const view of views) await same(`copy ${JSON.stringify(view.strides)}`, wasm.copy({ storage: A, view }), cpu.copy({ storage: Ar, view }));
  });

  it('binary ops over same-shape, broadcast, strided and unmergeable views', async () => {
    const shape = [3, 5, 17, 19];
    const size = shape.reduce((p, d) => p * d, 1);
    const a = specialValues(size, 2), b = specialValues(size, 3);
    const A = wasm.upload(a), B = wasm.upload(b), Ar = cpu.upload(a), Br = cpu.upload(b);
    const contiguousView = { shape, strides: [5 * 17 * 19, 17 * 19, 19, 1], offset: 0 };
    const views: Array<[string, StridedView, StridedView]> = [
      ['same shape', contiguousView, contiguousView],
      ['per-channel bias', contiguousView, { shape, strides: [0, 1, 0, 0], offset: 3 }],
      ['scalar on the left', { shape, strides: [0, 0, 0, 0], offset: 7 }, contiguousView],
      ['row broadcast', contiguousView, { shape, strides: [0, 0, 0, 1], offset: 0 }],
      ['transposed last axes (strided rows)', contiguousView, { shape, strides: [5 * 17 * 19, 17 * 19, 1, 17], offset: 0 }],
      ['flipped rows', contiguousView, { shape, strides: [5 * 17 * 19, 17 * 19, 19, -1], offset: 18 }],
      ['four unmergeable dimensions', { shape, strides: [1, 3, 15, 15 * 17], offset: 0 }, { shape, strides: [0, 1, 0, 5], offset: 0 }],
    ];
    const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    for (const [name, av, bv] of views) {
      for (const op of ops) {
        const y = wasm.binary(op, { storage: A, view: av }, { storage: B, view: bv }, shape);
        await same(`${op} ${name}`, y, cpu.binary(op, { storage: Ar, view: av }, { storage: Br, view: bv }, shape));
        wasm.free(y);
      }
    }
    wasm.free(A); wasm.free(B);
  });

  it('reductions over [outer, red, inner]: max and min exact, sums within float64-accumulation rounding', async () => {
    const cases: Array<[number, number, number]> = [
      [7, 1000, 1], [1, 5003, 1], [3, 50, 37], [1, 64, 4099], [1000, 9, 5], [2, 4097, 2], [2, 0, 4100],
    ];
    for (const [outer, red, inner] of cases) {
      const data = specialValues(outer * red * inner, outer + red + inner);
      const finite = Float32Array.from(data, (v) => (Number.isFinite(v) ? v : 0.25));
      for (const op of ['sum', 'max', 'min'] as const) {
        if (red === 0 && op !== 'sum') continue;
        const input = op === 'sum' ? finite : data;
        const y = await wasm.read(wasm.reduce(op, wasm.upload(input), outer, red, inner));
        const yr = await cpu.read(cpu.reduce(op, cpu.upload(input), outer, red, inner));
        const what = `${op} [${outer}, ${red}, ${inner}]`;
        expect(y.length, what).toBe(yr.length);
        for (let i = 0; i < y.length; i++) {
          const a = y[i]!, b = yr[i]!;
          // ±0 ties may resolve to either zero (wasm max/min order −0 < +0)
          const ok = op === 'sum' ? Math.abs(a - b) <= 2e-7 * Math.max(1, Math.abs(b)) * Math.sqrt(red) : a === b || (Number.isNaN(a) && Number.isNaN(b));
          if (!ok) expect.fail(`${what}[${i}]: ${a} vs reference ${b}`);
        }
      }
    }
  });

  it('batch norm forward and backward against the reference (float64 arithmetic; sums in another order)', async () => {
    const close = async (what: string, x: Storage, y: Storage) => {
      const a = await x.backend.read(x), b = await y.backend.read(y);
      const scale = Math.max(1e-30, ...Array.from(b, Math.abs));
      for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]! - b[i]!) <= 2e-6 * scale)) expect.fail(`${what}[${i}]: ${a[i]} vs reference ${b[i]}`);
    };
    const r = random(21);
    for (const [outer, c, inner, affine] of [[3, 5, 37, true], [16, 8, 64, false], [2, 3, 1, true], [64, 2, 33, true]] as const) {
      const p = { outer, c, inner, varianceEpsilon: 1e-5 };
      const n = outer * c * inner;
      const x = Float32Array.from(randomF32(n, r), (v) => 3 * v + 1), dy = randomF32(n, r);
      const w = affine ? randomF32(c, r) : null, b = affine ? randomF32(c, r) : null;
      const up = (be: Backend, a: Float32Array | null) => (a ? be.upload(a) : null);
      const f = wasm.accelerated.batchNormForward!(wasm.upload(x), up(wasm, w), up(wasm, b), p);
      const fr = cpu.accelerated.batchNormForward!(cpu.upload(x), up(cpu, w), up(cpu, b), p);
      const what = JSON.stringify(p);
      await close(`out ${what}`, f.out, fr.out); await close(`mean ${what}`, f.mean, fr.mean); await close(`variance ${what}`, f.variance, fr.variance);
      const g = wasm.accelerated.batchNormBackward!(wasm.upload(dy), wasm.upload(x), f.mean, f.variance, up(wasm, w), p);
      const gr = cpu.accelerated.batchNormBackward!(cpu.upload(dy), cpu.upload(x), fr.mean, fr.variance, up(cpu, w), p);
      await close(`dx ${what}`, g.dx, gr.dx); await close(`dWeight ${what}`, g.dWeight, gr.dWeight); await close(`dBias ${what}`, g.dBias, gr.dBias);
    }
  });

  it('SGD and Adam updates give the reference bits (float64 arithmetic, state rounded as stored)', async () => {
    const n = 5003, r = random(11);
    const init = () => ({ w: randomF32(n, r), g: randomF32(n, r), b: randomF32(n, r), v: Float32Array.from(randomF32(n, r), Math.abs) });
    const sgdCases: SgdParams[] = [
      { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false },
      { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: false, firstStep: true },
      { lr: 0.01, momentum: 0.9, dampening: 0.1, weightDecay: 5e-4, nesterov: false, firstStep: false },
      { lr: 0.03, momentum: 0.8, dampening: 0, weightDecay: 0, nesterov: true, firstStep: false },
    ];
    for (const q of sgdCases) {
      const d = init();
      const [P, G, B] = [d.w, d.g, d.b].map((a) => wasm.upload(a));
      const [Pr, Gr, Br] = [d.w, d.g, d.b].map((a) => cpu.upload(a));
      wasm.accelerated.sgdStep!(P!, G!, B!, q); cpu.accelerated.sgdStep!(Pr!, Gr!, Br!, q);
      await same(`sgd param ${JSON.stringify(q)}`, P!, Pr!);
      await same(`sgd buffer ${JSON.stringify(q)}`, B!, Br!);
    }
    const adamCases: AdamParams[] = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 1 },
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-2, decoupled: true, step: 7 },
      { lr: 3e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-3, decoupled: false, step: 3 },
    ];
    for (const q of adamCases) {
      const d = init();
      const [P, G, M, V] = [d.w, d.g, d.b, d.v].map((a) => wasm.upload(a));
      const [Pr, Gr, Mr, Vr] = [d.w, d.g, d.b, d.v].map((a) => cpu.upload(a));
      wasm.accelerated.adamStep!(P!, G!, M!, V!, q); cpu.accelerated.adamStep!(Pr!, Gr!, Mr!, Vr!, q);
      await same(`adam param ${JSON.stringify(q)}`, P!, Pr!);
      await same(`adam m ${JSON.stringify(q)}`, M!, Mr!);
      await same(`adam v ${JSON.stringify(q)}`, V!, Vr!);
    }
  });

  const poolCases: Array<Partial<Pool2dParams>> = [
    {},
    { kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1 },
    { kH: 3, kW: 3, strideH: 1, strideW: 1 },
    { kH: 2, kW: 3, strideH: 1, strideW: 2, padTop: 1, padLeft: 0 },
  ];
  for (const q of poolCases) {
    it(`maxPool2d and its gradient ${JSON.stringify(q)}`, async () => {
      const p: Pool2dParams = { n: 2, c: 3, inH: 13, inW: 12, outH: 0, outW: 0, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, countIncludePad: true, ...q };
      p.outH = Math.floor((p.inH + 2 * p.padTop - p.kH) / p.strideH) + 1;
      p.outW = Math.floor((p.inW + 2 * p.padLeft - p.kW) / p.strideW) + 1;
      // small integers: many ties, and gradient sums that are exact in float32
      const rng = random(p.kH * 10 + p.strideW);
      const data = Float32Array.from({ length: p.n * p.c * p.inH * p.inW }, () => Math.round((rng() + 0.5) * 4));
      data[5] = NaN; data[40] = NaN; data[41] = -0;
      const x = wasm.upload(data), xr = cpu.upload(data);
      const m = wasm.maxPool2d(x, p), mr = cpu.maxPool2d(xr, p);
      await same('maxPool2d', m.out, mr.out);
      await same('maxPool2d argmax', m.argmax, mr.argmax);
      const g = Float32Array.from({ length: p.n * p.c * p.outH * p.outW }, () => Math.round((rng() + 0.5) * 8) - 4);
      const dy = wasm.upload(g), dyr = cpu.upload(g);
      await same('maxPool2dBackward', wasm.accelerated.maxPool2dBackward!(dy, m.argmax, p), cpu.accelerated.maxPool2dBackward!(dyr, mr.argmax, p));
      // average pooling: finite inputs, both padding rules, bit for bit
      const finite = Float32Array.from(data, (v) => (Number.isNaN(v) ? 0.75 : v + rng() / 3));
      const grads = Float32Array.from(g, (v) => v + rng() / 7);
      for (const countIncludePad of [true, false]) {
        const q2 = { ...p, countIncludePad };
        await same(`avgPool2d ${countIncludePad}`, wasm.avgPool2d(wasm.upload(finite), q2), cpu.avgPool2d(cpu.upload(finite), q2));
        await same(`avgPool2dBackward ${countIncludePad}`, wasm.accelerated.avgPool2dBackward!(wasm.upload(grads), q2), cpu.accelerated.avgPool2dBackward!(cpu.upload(grads), q2));
      }
    });
  }
});
