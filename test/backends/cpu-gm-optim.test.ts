/**
 * The fused GM loss (forward against the formulas of gm-loss.md, gradients against central finite
 * differences in float64) and the optimizer steps (against scalar transcriptions of PyTorch's
 * SGD / Adam / AdamW update rules).
 */
import { describe, expect, it } from 'vitest';
import type { AdamParams, GMLikelihood, GMLossParams, SgdParams, Storage } from '../../src/core/backend.js';
import type { DType } from '../../src/core/dtype.js';
import { backend as b, expectClose, randomArray, read, up } from './cpu-helpers.js';

interface GMCase { x: Float64Array; means: Float64Array; logVar: Float64Array | null; labels: number[]; p: GMLossParams }

function gmCase(likelihood: GMLikelihood, diagonal: boolean, alpha: number, seed: number): GMCase {
  const n = 5, k = 4, d = 3;
  return {
    x: randomArray(n * d, seed, -2, 2),
    means: randomArray(k * d, seed + 1, -2, 2),
    logVar: diagonal ? randomArray(k * d, seed + 2, -0.7, 0.7) : null,
    labels: [0, 3, 1, 1, 2],
    p: { n, k, d, alpha, lambda: 0.3, likelihood, diagonal },
  };
}

/** The loss and its outputs straight from the spec's formulas. */
function gmReference(c: GMCase) {
  const { n, k: K, d: D, alpha, lambda, likelihood } = c.p;
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
    const z = dist.map((dk, k) => -half[k]! - (1 + (k === y ? alpha : 0)) * dk);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    const lkd = likelihood === 'true-class' ? dist[y]! + half[y]!
      : likelihood === 'true-class-sq' ? 2 * dist[y]! + half[y]!
        : dist.reduce((a, v) => a + 2 * v, 0) / K;
    loss += lse - z[y]! + lambda * lkd;
    logits.push(...z); lses.push(lse);
    const noMargin = dist.map((dk, k) => -half[k]! - dk);
    preds.push(noMargin.indexOf(Math.max(...noMargin)));
    scores.push(Math.min(...dist));
  }
  return { loss: loss / n, logits, lses, preds, scores };
}

function storages(c: GMCase, dtype: DType = 'float64') {
  return { x: up(c.x, dtype), means: up(c.means, dtype), logVar: c.logVar ? up(c.logVar, dtype) : null, labels: up(c.labels, 'int32') };
}

function lossAt(c: GMCase): number {
  const s = storages(c);
  const r = b.gmForward(s.x, s.means, s.logVar, s.labels, c.p);
  const v = read(r.loss)[0]!;
  for (const t of [s.x, s.means, s.logVar, s.labels, r.loss, r.logits, r.logSumExp, r.prediction, r.score]) if (t) b.free(t);
  return v;
}

/** Central differences of the loss with respect to every entry of one input array. */
function numericGrad(c: GMCase, which: 'x' | 'means' | 'logVar', h = 1e-6): Float64Array {
  const arr = c[which]!;
  const out = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const keep = arr[i]!;
    arr[i] = keep + h; const up1 = lossAt(c);
    arr[i] = keep - h; const down = lossAt(c);
    arr[i] = keep;
    out[i] = (up1 - down) / (2 * h);
  }
  return out;
}

const CONFIGS: [GMLikelihood, boolean, number][] = [];
for (const likelihood of ['true-class', 'true-class-sq', 'all-class'] as GMLikelihood[]) {
  for (const diagonal of [false, true]) for (const alpha of [0, 0.7]) CONFIGS.push([likelihood, diagonal, alpha]);
}

describe('GM loss', () => {
  for (const [likelihood, diagonal, alpha] of CONFIGS) {
    const name = `${likelihood}, ${diagonal ? 'diagonal' : 'identity'}, α=${alpha}`;

    it(`forward matches the spec: ${name}`, () => {
      const c = gmCase(likelihood, diagonal, alpha, 7);
      const ref = gmReference(c);
      const s = storages(c);
      const r = b.gmForward(s.x, s.means, s.logVar, s.labels, c.p);
      expectClose('loss', read(r.loss), [ref.loss], 1e-13, 1e-14);
      expectClose('logits (with margin)', read(r.logits), ref.logits, 1e-13, 1e-14);
      expectClose('logSumExp', read(r.logSumExp), ref.lses, 1e-13, 1e-14);
      expect(Array.from(read(r.prediction))).toEqual(ref.preds);
      expect(r.prediction.dtype).toBe('int32');
      expectClose('score', read(r.score), ref.scores, 1e-13, 1e-14);
    });

    it(`gradients equal central finite differences in float64: ${name}`, () => {
      const c = gmCase(likelihood, diagonal, alpha, 11);
      const s = storages(c);
      const f = b.gmForward(s.x, s.means, s.logVar, s.labels, c.p);
      for (const scale of [1, 2.5]) {
        const g = b.gmBackward(s.x, s.means, s.logVar, s.labels, f.logSumExp, up([scale]), c.p);
        const tol = (what: string, got: ArrayLike<number>, want: Float64Array) => expectClose(what, got, want.map((v) => v * scale), 1e-6, 1e-8);
        tol('dx', read(g.dx), numericGrad(c, 'x'));
        tol('dMeans', read(g.dMeans), numericGrad(c, 'means'));
        if (diagonal) tol('dLogVar', read(g.dLogVar!), numericGrad(c, 'logVar'));
        else expect(g.dLogVar).toBeUndefined();
      }
    });
  }

  it('float32 agrees with float64 to float32 precision', () => {
    const c = gmCase('true-class', true, 0.5, 13);
    const s64 = storages(c), s32 = storages(c, 'float32');
    const f64 = b.gmForward(s64.x, s64.means, s64.logVar, s64.labels, c.p);
    const f32 = b.gmForward(s32.x, s32.means, s32.logVar, s32.labels, c.p);
    expect(f32.loss.dtype).toBe('float32');
    expectClose('loss', read(f32.loss), read(f64.loss), 1e-5, 1e-6);
    expectClose('logits', read(f32.logits), read(f64.logits), 1e-5, 1e-6);
    const g64 = b.gmBackward(s64.x, s64.means, s64.logVar, s64.labels, f64.logSumExp, up([1]), c.p);
    const g32 = b.gmBackward(s32.x, s32.means, s32.logVar, s32.labels, f32.logSumExp, up([1], 'float32'), c.p);
    expectClose('dx', read(g32.dx), read(g64.dx), 1e-4, 1e-5);
    expectClose('dMeans', read(g32.dMeans), read(g64.dMeans), 1e-4, 1e-5);
    expectClose('dLogVar', read(g32.dLogVar!), read(g64.dLogVar!), 1e-4, 1e-5);
  });

  it('is stable far from every mean, predicts the first of tied means, scores min d', () => {
    const p: GMLossParams = { n: 2, k: 3, d: 2, alpha: 1, lambda: 0.1, likelihood: 'true-class', diagonal: false };
    // means 1 and 2 coincide, and (0.5, 0.5) is as far from mean 0 as from them: the first wins
    const r = b.gmForward(up([300, 300, 0.5, 0.5]), up([0, 0, 1, 1, 1, 1]), null, up([0, 2], 'int32'), p);
    expect(Number.isFinite(read(r.loss)[0]!)).toBe(true);
    expect(Array.from(read(r.prediction))).toEqual([1, 0]);
    expectClose('score', read(r.score), [0.5 * (299 ** 2 * 2), 0.25], 1e-14, 0);
  });

  it('rejects bad labels and a logVar that disagrees with p.diagonal', () => {
    const c = gmCase('true-class', false, 0, 3);
    const s = storages(c);
    expect(() => b.gmForward(s.x, s.means, null, up([0, 1, 2, 4, 0], 'int32'), c.p)).toThrow(/cpu\.gmForward: label 4 of sample 3 is outside \[0, 4\)/);
    expect(() => b.gmForward(s.x, s.means, up(new Float64Array(12)), s.labels, c.p)).toThrow(/logVar given but p\.diagonal is false/);
    expect(() => b.gmForward(s.x, up(new Float64Array(11)), null, s.labels, c.p)).toThrow(/means has 11 elements, expected 12/);
  });
});

// ---------------------------------------------------------------- optimizers

/** torch.optim.SGD's update, transcribed per element */
function refSgd(w: number[], grads: number[][], p: Omit<SgdParams, 'firstStep'>, momentum: boolean): { w: number[]; buf: number[] } {
  const buf = w.map(() => 0);
  grads.forEach((g, step) => {
    for (let i = 0; i < w.length; i++) {
      let d = g[i]! + p.weightDecay * w[i]!;
      if (momentum) {
        buf[i] = step === 0 ? d : p.momentum * buf[i]! + (1 - p.dampening) * d;
        d = p.nesterov ? d + p.momentum * buf[i]! : buf[i]!;
      }
      w[i] = w[i]! - p.lr * d;
    }
  });
  return { w, buf };
}

/** torch.optim.Adam / AdamW, transcribed per element */
function refAdam(w: number[], grads: number[][], p: Omit<AdamParams, 'step'>): { w: number[]; m: number[]; v: number[] } {
  const m = w.map(() => 0), v = w.map(() => 0);
  grads.forEach((g, t) => {
    const step = t + 1;
    for (let i = 0; i < w.length; i++) {
      let gi = g[i]!;
      if (p.decoupled) w[i] = w[i]! * (1 - p.lr * p.weightDecay); else gi += p.weightDecay * w[i]!;
      m[i] = p.beta1 * m[i]! + (1 - p.beta1) * gi;
      v[i] = p.beta2 * v[i]! + (1 - p.beta2) * gi * gi;
      const mHat = m[i]! / (1 - p.beta1 ** step), vHat = v[i]! / (1 - p.beta2 ** step);
      w[i] = w[i]! - (p.lr * mHat) / (Math.sqrt(vHat) + p.eps);
    }
  });
  return { w, m, v };
}

describe('optimizer steps', () => {
  const w0 = Array.from(randomArray(6, 70));
  const grads = [0, 1, 2].map((s) => Array.from(randomArray(6, 80 + s)));

  it('SGD with momentum: hand-computed values (plain and Nesterov)', () => {
    for (const [nesterov, expected] of [[false, [0.95, 0.855]], [true, [0.905, 0.7695]]] as const) {
      const w = up([1]), buf = up([123]);
      const got: number[] = [];
      for (const firstStep of [true, false]) {
        b.sgdStep(w, up([0.5]), buf, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov, firstStep });
        got.push(read(w)[0]!);
      }
      expectClose(`nesterov=${nesterov}`, got, expected, 1e-15, 0);
    }
  });

  for (const [name, momentum, extra] of [
    ['plain', false, { momentum: 0, dampening: 0, nesterov: false }],
    ['momentum + dampening + weight decay', true, { momentum: 0.9, dampening: 0.2, nesterov: false }],
    ['Nesterov + weight decay', true, { momentum: 0.8, dampening: 0, nesterov: true }],
  ] as const) {
    it(`SGD ${name} follows torch.optim.SGD over three steps`, () => {
      const hp = { lr: 0.05, weightDecay: 1e-2, ...extra };
      const ref = refSgd(w0.slice(), grads, hp, momentum);
      for (const dtype of ['float64', 'float32'] as DType[]) {
        const w = up(w0, dtype), buf: Storage | null = momentum ? up(new Float64Array(6).fill(7), dtype) : null;
        grads.forEach((g, t) => b.sgdStep(w, up(g, dtype), buf, { ...hp, firstStep: t === 0 }));
        const tol = dtype === 'float64' ? 1e-14 : 1e-6;
        expectClose(`${dtype} param`, read(w), ref.w, tol, tol);
        if (buf) expectClose(`${dtype} buffer`, read(buf), ref.buf, tol, tol);
      }
    });
  }

  for (const decoupled of [false, true]) {
    it(`${decoupled ? 'AdamW' : 'Adam'} follows PyTorch over three steps, bias correction included`, () => {
      const hp = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, decoupled };
      const ref = refAdam(w0.slice(), grads, hp);
      for (const dtype of ['float64', 'float32'] as DType[]) {
        const w = up(w0, dtype), m = up(new Float64Array(6), dtype), v = up(new Float64Array(6), dtype);
        grads.forEach((g, t) => b.adamStep(w, up(g, dtype), m, v, { ...hp, step: t + 1 }));
        const tol = dtype === 'float64' ? 1e-13 : 1e-6;
        expectClose(`${dtype} param`, read(w), ref.w, tol, tol);
        expectClose(`${dtype} m`, read(m), ref.m, tol, tol);
        expectClose(`${dtype} v`, read(v), ref.v, tol, tol);
      }
    });
  }

  it('Adam first step moves each weight by about lr (bias correction)', () => {
    const w = up([1, -2]);
    b.adamStep(w, up([0.5, -3]), up([0, 0]), up([0, 0]), { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 });
    expectClose('w', read(w), [0.9, -1.9], 1e-7, 0);
  });

  it('mismatched sizes name the kernel', () => {
    expect(() => b.sgdStep(up([1, 2]), up([1]), null, { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true }))
      .toThrow(/cpu\.sgdStep: grad has 1 elements, expected 2/);
    expect(() => b.adamStep(up([1]), up([1]), up([1]), up([1]), { lr: 1, beta1: 0.9, beta2: 0.9, eps: 0, weightDecay: 0, decoupled: false, step: 0 }))
      .toThrow(/step must be a positive integer/);
  });
});
