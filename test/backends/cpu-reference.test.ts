/**
 * What only the CPU reference has to prove, being the oracle of the shared suite (test/kernels):
 * its special functions against 20-digit values, its fused kernels against the formulas they
 * implement (GM loss against the spec and central differences, batch norm's statistics, softmax,
 * SGD/Adam against hand-computed PyTorch values), its blocked GEMM in float64 past every block
 * edge, and its life as another backend's reference (storages owned by that backend, arrays from
 * its store, dirty memory overwritten).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend, CpuStorage } from '../../src/backends/cpu/index.js';
import { erf, erfc } from '../../src/backends/cpu/erf.js';
import type { Backend, GMLikelihood, GMLossParams, HostArrays, Storage } from '../../src/core/backend.js';
import { typedArrayFor, type DType } from '../../src/core/dtype.js';
import { naiveMatmul } from '../helpers/reference-kernels.js';
import { expectClose, randomArray } from '../kernels/devices.js';

const b = new CpuBackend();
const up = (values: ArrayLike<number>, dtype: DType = 'float64') => b.upload(typedArrayFor(dtype, values.length).map((_, i) => values[i]!) as Float64Array);
const read = (s: Storage) => b.readSync(s);
const acc = b.accelerated;

describe('special functions', () => {
  it('erf and erfc match 20-digit values to ~1e-15 relative', () => {
    const erfs: [number, number][] = [[0.3, 0.32862675945912742764], [1, 0.84270079294971486934], [1.9, 0.99279042923525746995],
      [2.5, 0.99959304798255504106], [-0.8, -0.74210096470766048617], [0, 0]];
    for (const [x, v] of erfs) expect(Math.abs(erf(x) - v)).toBeLessThanOrEqual(1e-15 * Math.abs(v));
    const erfcs: [number, number][] = [[0.9, 0.20309178757716787148], [1.7, 0.016209541409225436374],
      [3, 2.2090496998585441373e-5], [10, 2.088487583762544757e-45], [-1, 1.84270079294971486934]];
    for (const [x, v] of erfcs) expect(Math.abs(erfc(x) - v)).toBeLessThanOrEqual(2e-15 * v);
  });

  it('gelu and Φ match 20-digit values, deep tail included (relative accuracy where 1 + erf would cancel)', () => {
    const cases: [number, number, number][] = [
      [-10, -7.619853024160526066e-23, 7.619853024160526066e-24], [-3, -0.00404969409489028358, 0.0013498980316300945267],
      [0.7, 0.53062544344384888968, 0.75803634777692697097], [2, 1.9544997361036415856, 0.97724986805182079282]];
    const x = up(cases.map((c) => c[0]));
    expectClose('gelu', read(b.unary('gelu', x)), cases.map((c) => c[1]), 1e-14, 0);
    expectClose('normalCdf', read(b.unary('normalCdf', x)), cases.map((c) => c[2]), 1e-14, 0);
  });
});

describe('blocked GEMM in float64', () => {
  for (const [batch, m, n, k] of [[1, 70, 530, 133], [2, 9, 17, 131], [3, 2, 7, 1]] as const) {
    it(`${batch}×[${m}×${k}]·[${k}×${n}] with every transpose`, () => {
      const a = randomArray(batch * m * k, m + n), c = randomArray(batch * k * n, k);
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const p = { batch, m, n, k, transA, transB, aBatchStride: m * k, bBatchStride: k * n };
        expectClose(`tA=${transA} tB=${transB}`, read(b.matmul(up(a), up(c), p)), naiveMatmul(a, c, p), 1e-12, 1e-13);
      }
    });
  }

  it('the MNIST first layer (64×1×28×28, 32 5×5 filters, pad 2) forward and both gradients in float32 runs in seconds', () => {
    const p = { n: 64, inC: 1, inH: 28, inW: 28, outC: 32, kH: 5, kW: 5, outH: 28, outW: 28, strideH: 1, strideW: 1, padTop: 2, padLeft: 2, dilationH: 1, dilationW: 1, groups: 1 };
    const x = up(randomArray(64 * 784, 30, 0, 1), 'float32'), w = up(randomArray(800, 31), 'float32');
    const t0 = performance.now();
    const y = b.conv2d(x, w, p);
    const outs = [y, acc.conv2dBackwardInput!(y, w, p), acc.conv2dBackwardWeight!(x, y, p)];
    const ms = performance.now() - t0;
    for (const s of outs) b.free(s);
    // ~0.15 s measured; the bound only catches a pathological regression on a busy machine
    expect(ms).toBeLessThan(4000);
  });
});

interface GMCase { x: Float64Array; means: Float64Array; logVar: Float64Array | null; labels: number[]; p: GMLossParams }

function gmCase(likelihood: GMLikelihood, diagonal: boolean, margin: number, seed: number): GMCase {
  const n = 5, k = 4, d = 3;
  return {
    x: randomArray(n * d, seed, -2, 2), means: randomArray(k * d, seed + 1, -2, 2), logVar: diagonal ? randomArray(k * d, seed + 2, -0.7, 0.7) : null,
    labels: [0, 3, 1, 1, 2], p: { n, k, d, margin, lambda: 0.3, likelihood, diagonal },
  };
}

/** the loss and its outputs straight from the formulas of docs/gm-loss.md */
function gmFormulas(c: GMCase) {
  const { n, k: K, d: D, margin, lambda, likelihood } = c.p;
  const logits: number[] = [], lses: number[] = [], preds: number[] = [], scores: number[] = [];
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const y = c.labels[i]!;
    const dist: number[] = [], half: number[] = [];
    for (let k = 0; k < K; k++) {
      let s = 0, h = 0;
      for (let j = 0; j < D; j++) {
        const v = c.logVar ? c.logVar[k * D + j]! : 0;
        s += (c.x[i * D + j]! - c.means[k * D + j]!) ** 2 / Math.exp(v);
        h += v / 2;
      }
      dist.push(s / 2); half.push(h);
    }
    const z = dist.map((dk, k) => -half[k]! - (1 + (k === y ? margin : 0)) * dk);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    const lkd = likelihood === 'true-class' ? dist[y]! + half[y]! : likelihood === 'true-class-sq' ? 2 * dist[y]! + half[y]! : dist.reduce((a, v) => a + 2 * v, 0) / K;
    loss += lse - z[y]! + lambda * lkd;
    logits.push(...z); lses.push(lse);
    const noMargin = dist.map((dk, k) => -half[k]! - dk);
    preds.push(noMargin.indexOf(Math.max(...noMargin)));
    scores.push(Math.min(...dist));
  }
  return { loss: loss / n, logits, lses, preds, scores };
}

function gmStorages(c: GMCase, dtype: DType = 'float64') {
  return { x: up(c.x, dtype), means: up(c.means, dtype), logVar: c.logVar ? up(c.logVar, dtype) : null, labels: up(c.labels, 'int32') };
}

function lossAt(c: GMCase): number {
  const s = gmStorages(c);
  const r = acc.gmForward!(s.x, s.means, s.logVar, s.labels, c.p);
  return read(r.loss)[0]!;
}

/** central differences of the loss with respect to every entry of one input array */
function numericGrad(c: GMCase, which: 'x' | 'means' | 'logVar', h = 1e-6): Float64Array {
  const arr = c[which]!;
  return Float64Array.from(arr, (keep, i) => {
    arr[i] = keep + h; const plus = lossAt(c);
    arr[i] = keep - h; const minus = lossAt(c);
    arr[i] = keep;
    return (plus - minus) / (2 * h);
  });
}

describe('GM loss against its formulas', () => {
  for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as GMLikelihood[]) {
    for (const diagonal of [false, true]) for (const margin of [0, 0.7]) {
      const name = `${likelihood}, ${diagonal ? 'diagonal' : 'identity'}, m=${margin}`;
      it(`forward equals the spec; gradients equal central differences in float64, scaled by the upstream gradient: ${name}`, () => {
        const c = gmCase(likelihood, diagonal, margin, 7);
        const want = gmFormulas(c);
        const s = gmStorages(c);
        const r = acc.gmForward!(s.x, s.means, s.logVar, s.labels, c.p);
        expectClose('loss', read(r.loss), [want.loss], 1e-13, 1e-14);
        expectClose('logits (with margin)', read(r.logits), want.logits, 1e-13, 1e-14);
        expectClose('logSumExp', read(r.logSumExp), want.lses, 1e-13, 1e-14);
        expect(Array.from(read(r.prediction))).toEqual(want.preds);
        expect(r.prediction.dtype).toBe('int32');
        expectClose('score', read(r.score), want.scores, 1e-13, 1e-14);
        for (const scale of [1, 2.5]) {
          const g = acc.gmBackward!(s.x, s.means, s.logVar, s.labels, r.logSumExp, up([scale]), c.p);
          const tol = (what: string, got: ArrayLike<number>, numeric: Float64Array) => expectClose(what, got, numeric.map((v) => v * scale), 1e-6, 1e-8);
          tol('dx', read(g.dx), numericGrad(c, 'x'));
          tol('dMeans', read(g.dMeans), numericGrad(c, 'means'));
          if (diagonal) tol('dLogVar', read(g.dLogVar!), numericGrad(c, 'logVar'));
          else expect(g.dLogVar).toBeUndefined();
        }
      });
    }
  }

  it('float32 agrees with float64 to float32 precision', () => {
    const c = gmCase('true-class', true, 0.5, 13);
    const s64 = gmStorages(c), s32 = gmStorages(c, 'float32');
    const f64 = acc.gmForward!(s64.x, s64.means, s64.logVar, s64.labels, c.p), f32 = acc.gmForward!(s32.x, s32.means, s32.logVar, s32.labels, c.p);
    expect(f32.loss.dtype).toBe('float32');
    expectClose('loss', read(f32.loss), read(f64.loss), 1e-5, 1e-6);
    expectClose('logits', read(f32.logits), read(f64.logits), 1e-5, 1e-6);
    const g64 = acc.gmBackward!(s64.x, s64.means, s64.logVar, s64.labels, f64.logSumExp, up([1]), c.p);
    const g32 = acc.gmBackward!(s32.x, s32.means, s32.logVar, s32.labels, f32.logSumExp, up([1], 'float32'), c.p);
    for (const what of ['dx', 'dMeans', 'dLogVar'] as const) expectClose(what, read(g32[what]!), read(g64[what]!), 1e-4, 1e-5);
  });
});

describe('batch norm, softmax and the optimizer steps against their formulas', () => {
  it('batch norm normalises each channel to mean 0 and variance 1, then scales and shifts (float64)', () => {
    const p = { outer: 3, c: 2, inner: 5, varianceEpsilon: 1e-5 };
    const x = randomArray(30, 8).map((v) => 4 * v + 2);
    const w = [2, 0.5], bias = [1, -1];
    const r = acc.batchNormForward!(up(x), up(w), up(bias), p);
    const y = read(r.out), mean = read(r.mean), variance = read(r.variance);
    for (let ch = 0; ch < 2; ch++) {
      const idx = [0, 1, 2].flatMap((o) => [0, 1, 2, 3, 4].map((i) => (o * 2 + ch) * 5 + i));
      const mu = idx.reduce((s, k) => s + x[k]!, 0) / 15;
      expectClose(`mean ${ch}`, [mean[ch]!], [mu], 1e-12, 1e-12);
      expectClose(`variance ${ch}`, [variance[ch]!], [idx.reduce((s, k) => s + (x[k]! - mu) ** 2, 0) / 15], 1e-12, 1e-12);
      const z = idx.map((k) => (y[k]! - bias[ch]!) / w[ch]!);
      expectClose(`normalised mean ${ch}`, [z.reduce((s, v) => s + v, 0) / 15], [0], 1e-12, 1e-12);
      expectClose(`normalised variance ${ch}`, [z.reduce((s, v) => s + v * v, 0) / 15], [variance[ch]! / (variance[ch]! + 1e-5)], 1e-12, 1e-12);
    }
  });

  it('softmax matches the max-subtracted formula, stays finite at ±1e4, sums to 1; log form included', () => {
    const outer = 4, inner = 7;
    const x = Array.from(randomArray(outer * inner, 60), (v, i) => v * (i < 14 ? 1e4 : 3));
    const soft: number[] = [], logSoft: number[] = [];
    for (let o = 0; o < outer; o++) {
      const row = x.slice(o * inner, (o + 1) * inner), m = Math.max(...row), s = row.reduce((a, v) => a + Math.exp(v - m), 0);
      for (const v of row) { soft.push(Math.exp(v - m) / s); logSoft.push(v - m - Math.log(s)); }
    }
    const y = read(acc.softmax!(up(x), outer, inner, false));
    expectClose('softmax', y, soft, 1e-14, 1e-300);
    expectClose('logSoftmax', read(acc.softmax!(up(x), outer, inner, true)), logSoft, 1e-14, 1e-12);
    for (let o = 0; o < outer; o++) expect(Math.abs(Array.from(y.subarray(o * inner, (o + 1) * inner)).reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-14);
  });

  it('SGD with momentum: hand-computed values (plain and Nesterov), float64 and float32', () => {
    for (const [nesterov, expected] of [[false, [0.95, 0.855]], [true, [0.905, 0.7695]]] as const) {
      for (const dtype of ['float64', 'float32'] as DType[]) {
        const w = up([1], dtype), buf = up([123], dtype);
        const got: number[] = [];
        for (const firstStep of [true, false]) {
          acc.sgdStep!(w, up([0.5], dtype), buf, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov, firstStep });
          got.push(read(w)[0]!);
        }
        expectClose(`nesterov=${nesterov} ${dtype}`, got, expected, dtype === 'float64' ? 1e-15 : 1e-7, 0);
      }
    }
  });

  it('SGD in float64 follows torch.optim.SGD to 1e-14 over three steps (plain, momentum + dampening, Nesterov; weight decay)', () => {
    for (const h of [{ momentum: 0, dampening: 0, nesterov: false }, { momentum: 0.9, dampening: 0.2, nesterov: false }, { momentum: 0.8, dampening: 0, nesterov: true }]) {
      const hp = { lr: 0.05, weightDecay: 1e-2, ...h };
      const w0 = randomArray(6, 70), grads = [0, 1, 2].map((s) => randomArray(6, 80 + s));
      const w = up(w0), buf = h.momentum ? up(new Float64Array(6).fill(7)) : null;
      grads.forEach((g, t) => acc.sgdStep!(w, up(g), buf, { ...hp, firstStep: t === 0 }));
      const ref = Float64Array.from(w0), rb = new Float64Array(6);
      grads.forEach((g, step) => {
        for (let i = 0; i < 6; i++) {
          let d = g[i]! + hp.weightDecay * ref[i]!;
          if (h.momentum) { rb[i] = step === 0 ? d : h.momentum * rb[i]! + (1 - h.dampening) * d; d = h.nesterov ? d + h.momentum * rb[i]! : rb[i]!; }
          ref[i] = ref[i]! - hp.lr * d;
        }
      });
      expectClose(`param ${JSON.stringify(h)}`, read(w), ref, 1e-14, 1e-14);
      if (buf) expectClose('buffer', read(buf), rb, 1e-14, 1e-14);
    }
  });

  it('Adam and AdamW in float64 follow PyTorch to 1e-13 over three steps', () => {
    for (const decoupled of [false, true]) {
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1, decoupled };
      const w0 = randomArray(6, 70), grads = [0, 1, 2].map((s) => randomArray(6, 80 + s));
      const w = up(w0), m = up(new Float64Array(6)), v = up(new Float64Array(6));
      grads.forEach((g, t) => acc.adamStep!(w, up(g), m, v, { ...h, step: t + 1 }));
      const ref = Float64Array.from(w0), rm = new Float64Array(6), rv = new Float64Array(6);
      grads.forEach((g, t) => {
        for (let i = 0; i < 6; i++) {
          let gi = g[i]!;
          if (decoupled) ref[i] = ref[i]! * (1 - h.lr * h.weightDecay); else gi += h.weightDecay * ref[i]!;
          rm[i] = h.beta1 * rm[i]! + (1 - h.beta1) * gi;
          rv[i] = h.beta2 * rv[i]! + (1 - h.beta2) * gi * gi;
          ref[i] = ref[i]! - (h.lr * rm[i]! / (1 - h.beta1 ** (t + 1))) / (Math.sqrt(rv[i]! / (1 - h.beta2 ** (t + 1))) + h.epsilon);
        }
      });
      expectClose(`param decoupled=${decoupled}`, read(w), ref, 1e-13, 1e-13);
      expectClose('m', read(m), rm, 1e-13, 1e-13);
      expectClose('v', read(v), rv, 1e-13, 1e-13);
    }
  });
});

describe('storage, memory and life as another backend\'s reference', () => {
  it('counts live buffers and bytes; pooledBytes is 0; readSync is the live array and read a copy', async () => {
    const c = new CpuBackend();
    expect(c.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
    const a = c.alloc(10, 'float64'), s = c.upload(new Float32Array(3)), d = c.fill(5, 'int32', 7);
    expect(c.memory()).toEqual({ liveBuffers: 3, liveBytes: 80 + 12 + 20, pooledBytes: 0 });
    expect(c.readSync(a)).toBe(c.readSync(a));
    const copy = await c.read(a);
    copy[1] = -1;
    expect(c.readSync(a)[1]).toBe(0);
    for (const x of [a, s, d]) c.free(x);
    expect(c.memory()).toEqual({ liveBuffers: 0, liveBytes: 0, pooledBytes: 0 });
    expect(() => c.upload(new Uint8Array(2) as unknown as Float32Array)).toThrow(/Float32Array, Float64Array or Int32Array/);
  });

  /** an owner backend and an array store that hands out dirty memory and records what it saw */
  function heldReference() {
    const made: DType[] = [], released: number[] = [];
    const arrays: HostArrays = {
      newArray(dtype, size) {
        made.push(dtype);
        // deliberately dirty memory: kernels must write every output element
        return typedArrayFor(dtype, size).fill(dtype === 'int32' ? -7 : NaN);
      },
      release(data) { released.push(data.length); },
      pooledBytes: () => 42,
    };
    const owner = { name: 'owner' } as Backend;
    return { ref: new CpuBackend({ owner, arrays }), owner, made, released };
  }

  it('storages belong to the owner, arrays come from and go back to its store, errors carry the owner\'s name', () => {
    const { ref, owner, made, released } = heldReference();
    const x = ref.upload(new Float32Array([1, 2, 3, 4]));
    expect(x.backend).toBe(owner);
    const y = ref.unary('square', x);
    expect(y).toBeInstanceOf(CpuStorage);
    expect(Array.from(ref.readSync(y))).toEqual([1, 4, 9, 16]);
    ref.free(y);
    expect(made).toEqual(['float32', 'float32']);
    expect(released).toEqual([4]);
    expect(ref.memory().pooledBytes).toBe(42);
    expect(() => ref.reduce('sum', x, 3, 1, 1)).toThrow(/^owner\.reduce\(sum\): x has 4 elements, expected 3/);
    expect(() => ref.unary('neg', b.upload(new Float32Array(1)))).toThrow(/lives on backend 'cpu', not on this 'owner' backend/);
  });

  it('every kernel overwrites its whole output even when new memory is dirty', () => {
    const { ref } = heldReference();
    const x = ref.upload(new Float64Array([1, -2, 3, -4, 5, -6, 7, -8, 9]));
    const p = { n: 1, c: 1, inH: 3, inW: 3, outH: 2, outW: 2, kH: 2, kW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, countIncludePad: true };
    const ones = (n: number) => ref.upload(new Float64Array(n).fill(1));
    const { out, argmax } = ref.maxPool2d(x, p);
    const r = ref.accelerated;
    const conv = { n: 1, inC: 1, inH: 3, inW: 3, outC: 1, kH: 2, kW: 2, outH: 2, outW: 2, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, dilationH: 1, dilationW: 1, groups: 1 };
    const results = [
      r.maxPool2dBackward!(ones(4), argmax, p), r.avgPool2dBackward!(ones(4), p),
      ref.scatterAdd(ones(1), ref.upload(new Int32Array([0])), 1, 3, 1, 1), r.conv2dBackwardInput!(ones(4), ones(4), conv),
      r.conv2dBackwardWeight!(x, ones(4), conv), ref.reduce('sum', x, 1, 9, 1), ref.reduce('argmax', x, 3, 3, 1), r.softmax!(x, 3, 3, false),
      out, ref.avgPool2d(x, p), ref.conv2d(x, ones(4), conv),
    ];
    for (const s of results) expect(Array.from(ref.readSync(s)).every((v) => Number.isFinite(v) && v !== -7)).toBe(true);
    expect(Array.from(ref.readSync(results[6]!))).toEqual([2, 1, 2]);
  });
});
