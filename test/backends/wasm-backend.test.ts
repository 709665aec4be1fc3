/**
 * What only the WebAssembly backend has: it holds a CPU reference and falls back to it per op and
 * dtype (float32 storages live in the wasm heap, float64 runs through the reference, errors are
 * named wasm.*), and its fused GM loss and softmax give the same bits on one thread and on two
 * (wasm-reference-bits.test.ts: its kernels give the reference's float32 bits).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createWasmBackend } from '../../src/backends/create.js';
import type { WasmBackend, WasmKernelOptions } from '../../src/backends/wasm/index.js';
import { probeFeatures } from '../../src/backends/wasm/features.js';
import type { Backend, GMLikelihood, GMLossParams, MatmulParams } from '../../src/core/backend.js';
import type { TypedArray } from '../../src/core/dtype.js';
import { naiveConv, naiveMatmul } from '../helpers/reference-kernels.js';
import { convParams, maxAbsDiff, random, randomF32 } from './wasm-helpers.js';

const features = probeFeatures();


describe('WasmBackend', () => {
  let backend: WasmBackend;
  beforeAll(async () => { backend = await createWasmBackend({ threads: 2, parallelThreshold: 0, verbose: false }); });
  afterAll(() => backend?.dispose());

  it('keeps float32 storages in the wasm heap and frees them back to it', () => {
    expect(backend.name).toBe('wasm');
    const before = backend.kernels.heap.stats().liveBytes;
    const s = backend.upload(new Float32Array([1, 2, 3]));
    const data = backend.readSync(s) as Float32Array;
    expect(backend.kernels.heap.owns(data)).toBe(backend.kernels.resident);
    expect([...data]).toEqual([1, 2, 3]);
    backend.free(s);
    expect(backend.kernels.heap.stats().liveBytes).toBe(before);
    expect(() => backend.free(s)).toThrow(/double free/);
    expect(backend.memory().liveBuffers).toBe(0);
    // int32 (max-pool argmax) lives there too; float64 does not
    const i = backend.upload(new Int32Array([4])), d = backend.upload(new Float64Array([5]));
    expect(backend.kernels.heap.owns(backend.readSync(i)!)).toBe(backend.kernels.resident);
    expect(backend.kernels.heap.owns(backend.readSync(d)!)).toBe(false);
    backend.free(i);
    backend.free(d);
  });

  it('states what it runs: float32 above a call\'s break-even size on the kernels, the rest on the reference', async () => {
    const backend = await createWasmBackend({ threads: 1, verbose: false });
    const k = backend.kernels;
    const spies = { unary: vi.spyOn(k, 'unaryInto'), matmul: vi.spyOn(k, 'matmulInto'), softmax: vi.spyOn(k, 'softmaxInto'), sgd: vi.spyOn(k, 'sgdStepInto') };
    try {
      const big = backend.upload(new Float32Array(5000)), small = backend.upload(new Float32Array(10)), wide = backend.upload(new Float64Array(5000));
      backend.unary('relu', big); backend.unary('relu', small); backend.unary('relu', wide); backend.unary('exp', big);
      expect(spies.unary).toHaveBeenCalledTimes(1);
      const mm = { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      backend.matmul(small, small, mm); backend.matmul(wide, wide, mm);
      expect(spies.matmul).toHaveBeenCalledTimes(1);
      backend.accelerated.softmax!(big, 50, 100, false); backend.accelerated.softmax!(small, 2, 5, false);
      expect(spies.softmax).toHaveBeenCalledTimes(1);
      const p = { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true };
      backend.accelerated.sgdStep!(big, backend.upload(new Float32Array(5000)), null, p);
      backend.accelerated.sgdStep!(wide, backend.upload(new Float64Array(5000)), null, p);
      expect(spies.sgd).toHaveBeenCalledTimes(1);
      expect(backend.reference.name).toBe('cpu');
      expect(backend.reference.kernelName('x')).toBe('wasm.x');
    } finally {
      for (const s of Object.values(spies)) s.mockRestore();
      backend.dispose();
    }
  });

  it('runs matmul and the convolutions through the kernels, float64 through the reference it holds', async () => {
    const rng = random(5);
    const p: MatmulParams = { batch: 2, m: 9, n: 21, k: 13, transA: true, transB: false, aBatchStride: 9 * 13, bBatchStride: 0 };
    const a = randomF32(2 * 9 * 13, rng), b = randomF32(13 * 21, rng);
    const ref = naiveMatmul(a, b, p);
    for (const dtype of ['float32', 'float64'] as const) {
      const A = backend.upload(dtype === 'float32' ? a : Float64Array.from(a));
      const B = backend.upload(dtype === 'float32' ? b : Float64Array.from(b));
      const C = backend.matmul(A, B, p);
      expect(C.dtype).toBe(dtype);
      expect(maxAbsDiff(await backend.read(C), ref), dtype).toBeLessThan(1e-5);
      for (const s of [A, B, C]) backend.free(s);
    }
    const cp = convParams({ n: 3, inC: 4, outC: 6, groups: 2, strideH: 2, dilationW: 2, padLeft: 2 });
    const x = randomF32(cp.n * cp.inC * cp.inH * cp.inW, rng), w = randomF32(cp.outC * 2 * cp.kH * cp.kW, rng);
    const dy = randomF32(cp.n * cp.outC * cp.outH * cp.outW, rng);
    const r = naiveConv(cp, x, w, dy);
    const [X, W, D] = [x, w, dy].map((v) => backend.upload(v));
    const outs = [backend.conv2d(X!, W!, cp), backend.accelerated.conv2dBackwardInput!(D!, W!, cp), backend.accelerated.conv2dBackwardWeight!(X!, D!, cp)];
    const refs = [r.y, r.dx, r.dw];
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(await backend.read(outs[i]!), refs[i]!)).toBeLessThan(1e-4);
    expect(() => backend.conv2d(X!, D!, cp)).toThrow(/wasm\.conv2d: w has/);
    for (const s of [X, W, D, ...outs]) backend.free(s!);
    expect(backend.memory().liveBuffers).toBe(0);
    expect(backend.memory().pooledBytes).toBeGreaterThanOrEqual(0);
  });
});

describe('fused nn kernels (GM loss, softmax) against the float64 reference', () => {
  const cpu = new CpuBackend();
  // SIMD on one thread and on two (every call split), and the scalar fallback
  const configs: Array<[string, WasmKernelOptions]> = [
    ...(features.simd ? [['SIMD, 1 thread', { threads: 1 }], ['SIMD, 2 threads', { threads: 2, parallelThreshold: 0 }]] as Array<[string, WasmKernelOptions]> : []),
    ['scalar, 2 threads', { threads: 2, simd: false, parallelThreshold: 0 }],
  ];
  const backends: Array<[string, WasmBackend]> = [];
  beforeAll(async () => {
    for (const [name, opts] of configs) backends.push([name, await createWasmBackend({ ...opts, verbose: false })]);
  });
  afterAll(() => { for (const [, b] of backends) b.dispose(); });

  interface Problem { p: GMLossParams; x: Float32Array; means: Float32Array; logVar: Float32Array | null; labels: Int32Array }
  function problem(n: number, k: number, d: number, diagonal: boolean, likelihood: GMLikelihood, alpha: number, lambda: number): Problem {
    const rng = random(n * 10007 + k * 101 + d + (diagonal ? 7 : 0));
    const x = randomF32(n * d, rng).map((v) => 3 * v), means = randomF32(k * d, rng).map((v) => 3 * v);
    const labels = Int32Array.from({ length: n }, () => Math.floor((rng() + 0.5) * k) % k);
    // a sample sitting almost on its class mean: the direct sum Σ (x − μ)² must not cancel
    for (let j = 0; j < d; j++) x[j] = means[labels[0]! * d + j]! + 1e-3 * rng();
    const logVar = diagonal ? randomF32(k * d, rng) : null;
    return { p: { n, k, d, margin: alpha, lambda, likelihood, diagonal }, x, means, logVar, labels };
  }

  type Outputs = Record<string, TypedArray>;
  async function run(b: Backend, q: Problem, f64: boolean, gradLoss = 1.5): Promise<Outputs> {
    const up = (a: Float32Array) => b.upload(f64 ? Float64Array.from(a) : a);
    const x = up(q.x), means = up(q.means), logVar = q.logVar ? up(q.logVar) : null, labels = b.upload(q.labels);
    const fwd = b.accelerated.gmForward!(x, means, logVar, labels, q.p);
    const g = up(new Float32Array([gradLoss]));
    const bwd = b.accelerated.gmBackward!(x, means, logVar, labels, fwd.logSumExp, g, q.p);
    const out: Outputs = {};
    for (const [name, s] of Object.entries({ ...fwd, ...bwd })) { out[name] = await b.read(s!); b.free(s!); }
    for (const s of [x, means, logVar, labels, g]) if (s) b.free(s);
    return out;
  }

  const shapes: Array<[number, number, number]> = [[1, 7, 5], [6, 10, 2], [9, 13, 33], [23, 4, 64]];
  for (const [n, k, d] of shapes) {
    for (const diagonal of [false, true]) {
      it(`N=${n} K=${k} D=${d} ${diagonal ? 'diagonal' : 'identity'}, every likelihood`, async () => {
        for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as const) {
          for (const [alpha, lambda] of [[0.7, 0.3], [0, 0]]) {
            const q = problem(n, k, d, diagonal, likelihood, alpha, lambda);
            const ref = await run(cpu, q, true);
            expect(Object.keys(ref).sort()).toEqual(
              ['dMeans', 'dx', 'logSumExp', 'logits', 'loss', 'prediction', 'score', ...(diagonal ? ['dLogVar'] : [])].sort());
            const results: Outputs[] = [];
            for (const [name, b] of backends) {
              const got = await run(b, q, false);
              results.push(got);
              for (const [what, r] of Object.entries(ref)) {
                const a = got[what]!, tag = `${name} ${likelihood} α=${alpha} λ=${lambda} ${what}`;
                expect(a.length, tag).toBe(r.length);
                if (what === 'prediction') { expect([...a], tag).toEqual([...r]); continue; }
                for (let i = 0; i < r.length; i++) {
                  if (!(Math.abs(a[i]! - r[i]!) <= 1e-4 + 1e-3 * Math.abs(r[i]!))) expect.fail(`${tag}[${i}]: ${a[i]} vs reference ${r[i]}`);
                }
              }
            }
            // one thread and two give the same bits
            if (features.simd && features.sharedMemory) {
              for (const [what, a] of Object.entries(results[0]!)) {
                const b = results[1]![what]!;
                for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) expect.fail(`threads 1 vs 2, ${what}[${i}]: ${a[i]} vs ${b[i]}`);
              }
            }
          }
        }
      });
    }
  }

  it('softmax and log-softmax, rows with NaN, ±∞ and large logits, widths not a multiple of 4', async () => {
    const shapes: Array<[number, number]> = [[1, 1024], [400, 3], [128, 10], [3, 1031], [64, 37]];
    for (const [outer, inner] of shapes) {
      const rng = random(outer * 7 + inner);
      const x = randomF32(outer * inner, rng).map((v) => 8 * v);
      const row = (o: number, fill: (i: number) => number) => { for (let i = 0; i < inner; i++) x[o * inner + i] = fill(i); };
      if (outer > 5) {
        row(1, (i) => (i === inner - 1 ? NaN : 0));
        row(2, (i) => (i === 0 ? Infinity : 1));
        row(3, () => -Infinity);
        row(4, (i) => (i % 2 ? -Infinity : 1e4 + i));
        row(5, (i) => -100 * i);
      }
      for (const log of [false, true]) {
        const ref = await cpu.read(cpu.accelerated.softmax!(cpu.upload(Float64Array.from(x)), outer, inner, log));
        const results: TypedArray[] = [];
        for (const [name, b] of backends) {
          const X = b.upload(x), Y = b.accelerated.softmax!(X, outer, inner, log);
          const got = await b.read(Y);
          b.free(X); b.free(Y);
          results.push(got);
          for (let i = 0; i < ref.length; i++) {
            const a = got[i]!, r = ref[i]!;
            if (!Object.is(a, r) && !(Math.abs(a - r) <= 1e-4 + 1e-3 * Math.abs(r))) {
              expect.fail(`${name} ${log ? 'logSoftmax' : 'softmax'} [${outer}, ${inner}] at ${i}: ${a} vs reference ${r}`);
            }
          }
        }
        for (let i = 0; features.simd && features.sharedMemory && i < ref.length; i++) {
          if (!Object.is(results[0]![i], results[1]![i])) expect.fail(`softmax threads 1 vs 2 at ${i}`);
        }
      }
    }
  });

  it('raises the reference\'s error for a label out of range, and runs float64 through the reference', async () => {
    const [, b] = backends[0]!;
    const q = problem(3, 7, 5, true, 'true-class', 1, 0.1);
    const x = b.upload(q.x), means = b.upload(q.means), logVar = b.upload(q.logVar!);
    for (const bad of [7, -1]) {
      const labels = b.upload(Int32Array.from([0, bad, 2]));
      expect(() => b.accelerated.gmForward!(x, means, logVar, labels, q.p)).toThrow(`wasm.gmForward: label ${bad} of sample 1 is outside [0, 7)`);
      const lse = b.upload(new Float32Array(3)), g = b.upload(new Float32Array([1]));
      expect(() => b.accelerated.gmBackward!(x, means, logVar, labels, lse, g, q.p)).toThrow(`wasm.gmBackward: label ${bad} of sample 1 is outside [0, 7)`);
      for (const s of [labels, lse, g]) b.free(s);
    }
    for (const s of [x, means, logVar]) b.free(s);
    const ref = await run(cpu, q, true), got = await run(b, q, true);
    expect(got.loss).toBeInstanceOf(Float64Array);
    for (const [what, r] of Object.entries(ref)) expect([...got[what]!], what).toEqual([...r]);
    expect(b.memory().liveBuffers).toBe(0);
  });
});
