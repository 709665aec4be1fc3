/**
 * The fused kernels every device lists, called directly, against the float64 CPU reference (itself
 * checked against the formulas in test/backends/cpu-reference.test.ts) or against transcriptions
 * of PyTorch's update rules: softmax and log-softmax (NaN, ±∞ and large logits, long rows), the GM
 * loss (every likelihood, identity and diagonal covariance, a sample on its mean, more classes than
 * a workgroup), batch norm (channels longer than a workgroup, with and without weight and bias;
 * also with a residual add and a ReLU, its mask at ±0, NaN and ±∞),
 * SGD and Adam/AdamW over several steps; errors naming the kernel.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, GMLikelihood, GMLossParams, Storage } from '../../src/core/backend.js';
import { VARIANT_DEVICES, expectClose, expectSameBits, f32Values, openDevice, randomArray, read, reference, rng, specialValues, upload } from './devices.js';

const f64 = (a: ArrayLike<number> | null) => (a ? upload(reference, a, 'float64') : null);
const ref = reference.accelerated;

describe.each(VARIANT_DEVICES)('fused kernels on $name', (device) => {
  const get = openDevice(device);

  it('softmax and log-softmax: rows with NaN, ±∞, −∞ only and ±1e4 logits, widths not a multiple of 4, long rows', async () => {
    const b = get();
    if (!b) return;
    for (const [outer, inner] of [[1, 1024], [400, 3], [128, 10], [3, 1031], [64, 37], [7, 10], [3, 300], [2, 1], [1, 2000]] as const) {
      const r = rng(outer * 7 + inner);
      const x = f32Values(Float64Array.from({ length: outer * inner }, () => 16 * (r() - 0.5)));
      const row = (o: number, fill: (i: number) => number) => { for (let i = 0; i < inner; i++) x[o * inner + i] = fill(i); };
      if (outer > 5) {
        row(1, (i) => (i === inner - 1 ? NaN : 0)); row(2, (i) => (i === 0 ? Infinity : 1)); row(3, () => -Infinity);
        row(4, (i) => (i % 2 ? -Infinity : 1e4 + i)); row(5, (i) => -100 * i);
      }
      for (const log of [false, true]) {
        const want = reference.readSync(ref.softmax!(f64(x)!, outer, inner, log));
        const got = await read(b, b.accelerated.softmax!(upload(b, x), outer, inner, log));
        expectClose(`${log ? 'logSoftmax' : 'softmax'} [${outer}, ${inner}]`, got, want, 1e-5, 1e-6);
      }
    }
    expect(() => b.accelerated.softmax!(upload(b, [1, 2, 3]), 2, 2, false)).toThrow(new RegExp(`${device.kernelPrefix}\\.softmax: x has 3 elements, expected 4`));
  });

  /** forward and backward of one GM problem on b (float32) and on the reference (float64) */
  async function checkGm(b: Backend, p: GMLossParams, seed: number): Promise<void> {
    const r = rng(seed);
    const x = f32Values(randomArray(p.n * p.d, seed, -2, 2)), means = f32Values(randomArray(p.k * p.d, seed + 1, -2, 2));
    const logVar = p.diagonal ? f32Values(randomArray(p.k * p.d, seed + 2, -0.5, 0.5)) : null;
    const labels = Int32Array.from({ length: p.n }, () => Math.floor(r() * p.k));
    // a sample almost on its class mean: the direct sum Σ (x − μ)² must not cancel
    if (p.k > 1) { for (let j = 0; j < p.d; j++) x[j] = Math.fround(means[labels[0]! * p.d + j]! + 1e-3 * r()); }
    const G = [1.7];
    const want = ref.gmForward!(f64(x)!, f64(means)!, f64(logVar), reference.upload(labels), p);
    const got = b.accelerated.gmForward!(upload(b, x), upload(b, means), logVar && upload(b, logVar), b.upload(labels), p);
    const tag = `${p.likelihood}${p.diagonal ? ' diagonal' : ''} n=${p.n} k=${p.k} d=${p.d} m=${p.margin} λ=${p.lambda}`;
    for (const what of ['loss', 'logits', 'logSumExp', 'score'] as const) {
      expectClose(`${tag} ${what}`, await read(b, got[what]), reference.readSync(want[what]), 1e-4, 1e-5);
    }
    expect([...await b.read(got.prediction)], `${tag} prediction`).toEqual([...reference.readSync(want.prediction)]);
    const wantB = ref.gmBackward!(f64(x)!, f64(means)!, f64(logVar), reference.upload(labels), want.logSumExp, f64(G)!, p);
    const gotB = b.accelerated.gmBackward!(upload(b, x), upload(b, means), logVar && upload(b, logVar), b.upload(labels), got.logSumExp, upload(b, G), p);
    // the softmax weights e^{z − lse} − [k = y] cancel: the float32 lse is good to ~1e-7·|z|, times (x − μ)²
    const atol = 1e-6 * (1 + p.d);
    expectClose(`${tag} dx`, await read(b, gotB.dx), reference.readSync(wantB.dx), 1e-3, atol);
    expectClose(`${tag} dMeans`, await read(b, gotB.dMeans), reference.readSync(wantB.dMeans), 1e-3, atol);
    if (p.diagonal) expectClose(`${tag} dLogVar`, await read(b, gotB.dLogVar!), reference.readSync(wantB.dLogVar!), 1e-3, atol);
    else expect(gotB.dLogVar).toBeUndefined();
  }

  it('GM loss: every likelihood, identity and diagonal covariance, with and without margin and likelihood weight', async () => {
    const b = get();
    if (!b) return;
    for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as GMLikelihood[]) {
      for (const diagonal of [false, true]) {
        for (const [n, k, d] of [[13, 10, 6], [1, 7, 5], [9, 13, 33], [23, 4, 64]] as const) {
          for (const [margin, lambda] of [[0.7, 0.3], [0, 0]]) await checkGm(b, { n, k, d, margin, lambda, likelihood, diagonal }, n * 101 + k + d);
        }
      }
    }
  });

  it('GM loss: 2-D features with 100 classes, one 100-D sample of one class, far from every mean', async () => {
    const b = get();
    if (!b) return;
    await checkGm(b, { n: 5, k: 100, d: 2, margin: 1, lambda: 0.1, likelihood: 'true-class', diagonal: false }, 8);
    await checkGm(b, { n: 1, k: 1, d: 100, margin: 0, lambda: 0, likelihood: 'true-class', diagonal: true }, 9);
    const p: GMLossParams = { n: 2, k: 3, d: 2, margin: 1, lambda: 0.1, likelihood: 'true-class', diagonal: false };
    // means 1 and 2 coincide, and (0.5, 0.5) is as far from mean 0 as from them: the first wins
    const r = b.accelerated.gmForward!(upload(b, [300, 300, 0.5, 0.5]), upload(b, [0, 0, 1, 1, 1, 1]), null, upload(b, [0, 2], 'int32'), p);
    expect(Number.isFinite((await read(b, r.loss))[0]!)).toBe(true);
    expect(Array.from(await b.read(r.prediction))).toEqual([1, 0]);
    expectClose('score', await read(b, r.score), [0.5 * (299 ** 2 * 2), 0.25], 1e-6, 0);
  });

  it('GM loss: a label out of range is an error naming the kernel on the host and a NaN loss on a GPU; shape errors', async () => {
    const b = get();
    if (!b) return;
    const p: GMLossParams = { n: 3, k: 7, d: 5, margin: 1, lambda: 0.1, likelihood: 'true-class', diagonal: true };
    const x = upload(b, randomArray(15, 1)), means = upload(b, randomArray(35, 2)), logVar = upload(b, randomArray(35, 3));
    for (const bad of [7, -1]) {
      const labels = upload(b, [0, bad, 2], 'int32');
      if (device.gpu) {
        expect((await read(b, b.accelerated.gmForward!(x, means, logVar, labels, p).loss))[0]).toBeNaN();
        continue;
      }
      expect(() => b.accelerated.gmForward!(x, means, logVar, labels, p)).toThrow(`${device.kernelPrefix}.gmForward: label ${bad} of sample 1 is outside [0, 7)`);
      expect(() => b.accelerated.gmBackward!(x, means, logVar, labels, upload(b, [0, 0, 0]), upload(b, [1]), p))
        .toThrow(`${device.kernelPrefix}.gmBackward: label ${bad} of sample 1 is outside [0, 7)`);
    }
    const labels = upload(b, [0, 1, 2], 'int32');
    expect(() => b.accelerated.gmForward!(x, means, null, labels, p)).toThrow(new RegExp(`${device.kernelPrefix}\\.gmForward: diagonal covariance needs logVar`));
    expect(() => b.accelerated.gmForward!(x, means, logVar, labels, { ...p, diagonal: false })).toThrow(/logVar given but p\.diagonal is false/);
    expect(() => b.accelerated.gmForward!(x, upload(b, randomArray(34, 2)), logVar, labels, p)).toThrow(/means has 34 elements, expected 35/);
  });

  it('batch norm forward and backward: channels longer than a workgroup, with and without weight and bias; errors', async () => {
    const b = get();
    if (!b) return;
    for (const [outer, c, inner, affine] of [[3, 5, 37, true], [16, 8, 64, false], [2, 3, 1, true], [64, 2, 33, true], [3, 4, 130, true], [5, 3, 7, false]] as const) {
      const p = { outer, c, inner, varianceEpsilon: 1e-5 };
      const n = outer * c * inner;
      const x = f32Values(randomArray(n, 3).map((v) => 3 * v + 1)), dy = f32Values(randomArray(n, 4));
      const w = affine ? f32Values(randomArray(c, 5)) : null, bias = affine ? f32Values(randomArray(c, 6)) : null;
      const want = ref.batchNormForward!(f64(x)!, f64(w), f64(bias), p);
      const got = b.accelerated.batchNormForward!(upload(b, x), w && upload(b, w), bias && upload(b, bias), p);
      const tag = JSON.stringify(p);
      expectClose(`${tag} out`, await read(b, got.out), reference.readSync(want.out), 1e-4, 1e-5);
      expectClose(`${tag} mean`, await read(b, got.mean), reference.readSync(want.mean), 1e-5, 1e-6);
      expectClose(`${tag} variance`, await read(b, got.variance), reference.readSync(want.variance), 1e-4, 1e-6);
      const wantB = ref.batchNormBackward!(f64(dy)!, f64(x)!, want.mean, want.variance, f64(w), p);
      const gotB = b.accelerated.batchNormBackward!(upload(b, dy), upload(b, x), got.mean, got.variance, w && upload(b, w), p);
      for (const what of ['dx', 'dWeight', 'dBias'] as const) {
        expectClose(`${tag} ${what}`, await read(b, gotB[what]), reference.readSync(wantB[what]), 1e-4, 1e-4);
      }
    }
    // statistics far from zero, and a channel's first value far out in its tail (the wasm kernel sums about it in one pass)
    for (const [offset, spread, outlier] of [[300, 0.05, 0], [0, 1, 2000], [-50, 0.5, 40]] as const) {
      const p = { outer: 6, c: 3, inner: 45, varianceEpsilon: 1e-5 };
      const x = f32Values(randomArray(p.outer * p.c * p.inner, 7).map((v) => offset + spread * v));
      for (let ch = 0; ch < p.c; ch++) x[ch * p.inner] = Math.fround(x[ch * p.inner]! + outlier);
      const want = ref.batchNormForward!(f64(x)!, null, null, p);
      const got = b.accelerated.batchNormForward!(upload(b, x), null, null, p);
      const tag = JSON.stringify({ offset, spread, outlier });
      expectClose(`${tag} mean`, await read(b, got.mean), reference.readSync(want.mean), 1e-6, 0);
      expectClose(`${tag} variance`, await read(b, got.variance), reference.readSync(want.variance), 1e-5, 0);
      // x − μ loses the bits of μ that float32 drops (as on every device): about 1e-3 of a standard deviation at offset 300
      expectClose(`${tag} out`, await read(b, got.out), reference.readSync(want.out), 1e-4, 3e-3);
    }
    const p = { outer: 2, c: 3, inner: 4, varianceEpsilon: 1e-5 };
    const k = `${device.kernelPrefix}\\.batchNorm`;
    expect(() => b.accelerated.batchNormForward!(upload(b, new Float32Array(23)), null, null, p)).toThrow(new RegExp(`${k}Forward: x has 23 elements, expected 24`));
    expect(() => b.accelerated.batchNormForward!(upload(b, new Float32Array(24)), upload(b, new Float32Array(2)), null, p)).toThrow(/weight has 2 elements, expected 3 \(c\)/);
    expect(() => b.accelerated.batchNormForward!(upload(b, new Float32Array(24)), null, null, { ...p, varianceEpsilon: 0 })).toThrow(/varianceEpsilon must be a positive/);
    const c3 = () => upload(b, new Float32Array(3));
    expect(() => b.accelerated.batchNormBackward!(upload(b, new Float32Array(20)), upload(b, new Float32Array(24)), c3(), c3(), null, p)).toThrow(new RegExp(`${k}Backward: dy has 20 elements, expected 24`));
  });

  it('batch norm + residual + ReLU, forward and backward, against the float64 composition: NaN and ±∞ residuals, ±0 and NaN outputs in the mask, NaN gradients masked out', async () => {
    const b = get();
    const fused = b?.accelerated.batchNormReluForward, fusedBackward = b?.accelerated.batchNormReluBackward;
    if (!b || !fused || !fusedBackward) return; // WebGPU composes it from batchNorm, add and relu
    for (const [outer, c, inner, affine, withResidual] of [[3, 5, 37, true, true], [16, 8, 64, false, true], [2, 3, 1, true, false], [4, 4, 130, true, false], [5, 3, 7, false, true]] as const) {
      const p = { outer, c, inner, varianceEpsilon: 1e-5 };
      const n = outer * c * inner;
      const x = f32Values(randomArray(n, 13).map((v) => 3 * v + 1)), g = f32Values(randomArray(n, 14));
      const w = affine ? f32Values(randomArray(c, 15)) : null, bias = affine ? f32Values(randomArray(c, 16)) : null;
      const r = withResidual ? specialValues(n, 17) : null;
      // the composition in float64: relu(batchNorm(x) + r), NaN passed through
      const bn = ref.batchNormForward!(f64(x)!, f64(w), f64(bias), p);
      const y = reference.readSync(bn.out);
      const want = Array.from(y, (v, i) => { const s = v + (r ? r[i]! : 0); return s > 0 || s !== s ? s : 0; });
      const tag = JSON.stringify({ ...p, withResidual });
      const got = fused(upload(b, x), r && upload(b, r), w && upload(b, w), bias && upload(b, bias), p);
      expectClose(`${tag} out`, await read(b, got.out), want, 1e-4, 1e-5);
      expectClose(`${tag} mean`, await read(b, got.mean), reference.readSync(bn.mean), 1e-5, 1e-6);
      expectClose(`${tag} variance`, await read(b, got.variance), reference.readSync(bn.variance), 1e-4, 1e-6);
      // the mask from a given out with ±0, NaN and ∞ mixed in; NaN and −0 gradients where out <= 0 or NaN
      const out = specialValues(n, 18);
      for (let i = 0; i < n; i += 5) if (!(out[i]! > 0)) g[i] = i % 2 ? NaN : -0;
      const masked = Array.from(out, (o, i) => (o > 0 ? g[i]! : 0));
      const wantB = ref.batchNormBackward!(f64(masked)!, f64(x)!, bn.mean, bn.variance, f64(w), p);
      for (const residualGrad of [true, false]) {
        const gotB = fusedBackward(upload(b, g), upload(b, out), upload(b, x), got.mean, got.variance, w && upload(b, w), p, residualGrad);
        for (const what of ['dx', 'dWeight', 'dBias'] as const) {
          expectClose(`${tag} ${what}`, await read(b, gotB[what]), reference.readSync(wantB[what]), 1e-4, 1e-4);
        }
        if (residualGrad) expectSameBits(`${tag} dResidual`, await read(b, gotB.dResidual!), masked);
        else expect(gotB.dResidual).toBeNull();
      }
    }
    const p = { outer: 2, c: 3, inner: 4, varianceEpsilon: 1e-5 };
    const k = `${device.kernelPrefix}\\.batchNormRelu`, c3 = () => upload(b, new Float32Array(3)), x24 = () => upload(b, new Float32Array(24));
    expect(() => fused(x24(), upload(b, new Float32Array(23)), null, null, p)).toThrow(new RegExp(`${k}Forward: residual has 23 elements, expected 24`));
    expect(() => fusedBackward(x24(), upload(b, new Float32Array(20)), x24(), c3(), c3(), null, p, true)).toThrow(new RegExp(`${k}Backward: out has 20 elements, expected 24`));
  });

  /** torch.optim.SGD, transcribed per element */
  function refSgd(w: Float64Array, grads: Float64Array[], h: { lr: number; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }) {
    const buf = new Float64Array(w.length);
    grads.forEach((g, step) => {
      for (let i = 0; i < w.length; i++) {
        let d = g[i]! + h.weightDecay * w[i]!;
        if (h.momentum) { buf[i] = step === 0 ? d : h.momentum * buf[i]! + (1 - h.dampening) * d; d = h.nesterov ? d + h.momentum * buf[i]! : buf[i]!; }
        w[i] -= h.lr * d;
      }
    });
    return { w, buf };
  }

  it('SGD: plain, momentum with dampening and weight decay, Nesterov; momentum 0 leaves a buffer alone', async () => {
    const b = get();
    if (!b) return;
    for (const n of [300, 5003]) {
      for (const h of [
        { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
        { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3, nesterov: false },
        { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 5e-4, nesterov: true },
      ]) {
        const w0 = f32Values(randomArray(n, 1)), grads = [2, 3, 4].map((s) => f32Values(randomArray(n, s)));
        const P = upload(b, w0), B = upload(b, randomArray(n, 9));
        grads.forEach((g, step) => b.accelerated.sgdStep!(P, upload(b, g), h.momentum ? B : null, { ...h, firstStep: step === 0 }));
        const want = refSgd(Float64Array.from(w0), grads, h);
        expectClose(`sgd ${n} ${JSON.stringify(h)}`, await read(b, P), want.w, 1e-5, 1e-6);
        if (h.momentum) expectClose('momentum buffer', await read(b, B), want.buf, 1e-5, 1e-6);
      }
    }
    const B = upload(b, [7, 7]);
    b.accelerated.sgdStep!(upload(b, [1, 2]), upload(b, [1, 1]), B, { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false });
    expect([...await read(b, B)]).toEqual([7, 7]);
    expect(() => b.accelerated.sgdStep!(upload(b, [1, 2]), upload(b, [1]), null, { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true }))
      .toThrow(new RegExp(`${device.kernelPrefix}\\.sgdStep: grad has 1 elements, expected 2`));
  });

  it('Adam and AdamW over four steps with bias correction; the first step moves each weight by about lr', async () => {
    const b = get();
    if (!b) return;
    for (const n of [300, 5003]) {
      for (const decoupled of [false, true]) {
        const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, decoupled };
        const p0 = f32Values(randomArray(n, 5));
        const P = upload(b, p0), M = b.alloc(n, 'float32'), V = b.alloc(n, 'float32');
        const w = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
        for (let step = 1; step <= 4; step++) {
          const g = f32Values(randomArray(n, 10 + step));
          b.accelerated.adamStep!(P, upload(b, g), M, V, { ...h, step });
          for (let i = 0; i < n; i++) {
            const wi = w[i]! * (decoupled ? 1 - h.lr * h.weightDecay : 1);
            const gi = g[i]! + (decoupled ? 0 : h.weightDecay) * wi;
            m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
            v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
            w[i] = wi - (h.lr / (1 - h.beta1 ** step)) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - h.beta2 ** step) + h.epsilon);
          }
        }
        expectClose(`adam ${n} decoupled=${decoupled}`, await read(b, P), w, 1e-4, 1e-6);
        expectClose('m', await read(b, M), m, 1e-4, 1e-7);
        expectClose('v', await read(b, V), v, 1e-4, 1e-9);
      }
    }
    const w = upload(b, [1, -2]);
    b.accelerated.adamStep!(w, upload(b, [0.5, -3]), upload(b, [0, 0]), upload(b, [0, 0]), { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 1 });
    expectClose('first step', await read(b, w), [0.9, -1.9], 1e-6, 0);
    const two = (): Storage => b.alloc(2, 'float32');
    const hp = { lr: 1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0, decoupled: false };
    expect(() => b.accelerated.adamStep!(two(), two(), two(), b.alloc(3, 'float32'), { ...hp, step: 1 })).toThrow(new RegExp(`${device.kernelPrefix}\\.adamStep: v has 3 elements, expected 2`));
    expect(() => b.accelerated.adamStep!(two(), two(), two(), two(), { ...hp, step: 0 })).toThrow(/step must be a positive integer/);
  });
});
