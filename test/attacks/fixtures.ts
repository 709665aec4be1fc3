/**
 * Tiny hand-built models for the attack and detector tests: fixed-weight affine classifiers
 * (analytic gradients), a GM classifier over a linear backbone, and a small random CNN.
 */
import * as g from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';
import { Classifier } from '../../src/models/classifier.js';
import { GMHead } from '../../src/nn/gm-head.js';
import { BatchNorm2d, Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/layers.js';
import { Module } from '../../src/nn/module.js';

export type Matrix = number[][];

/** A Linear layer with the given weight [out, in] and bias [out]. */
export function fixedLinear(weight: Matrix, bias: number[] | null, dtype: DType = 'float64'): Linear {
  const out = weight.length, inp = weight[0]!.length;
  const l = new Linear(inp, out, { dtype, bias: bias !== null, generator: new g.Generator(1) });
  const state: Record<string, Tensor> = { weight: g.tensor(weight, { dtype }) };
  if (bias) state.bias = g.tensor(bias, { dtype });
  l.loadStateDict(state);
  return l;
}

/** The identity as a backbone: features(x) = x for x [N, D]. */
export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}

/** Softmax classifier whose logits are W x + b (features = x). */
export function affineClassifier(weight: Matrix, bias: number[] | null = null, dtype: DType = 'float64'): Classifier {
  const k = weight.length, d = weight[0]!.length;
  return new Classifier(new Identity(), fixedLinear(weight, bias, dtype), { model: 'affine', featureDim: d, numClasses: k, inputShape: [d] });
}

/** GM classifier: features = A x + c (a Linear backbone), head means given. */
export function gmClassifier(backboneWeight: Matrix, backboneBias: number[] | null, means: Matrix, dtype: DType = 'float64'): Classifier {
  const backbone = fixedLinear(backboneWeight, backboneBias, dtype);
  const head = new GMHead(means[0]!.length, means.length, { dtype, generator: new g.Generator(2) });
  head.loadStateDict({ means: g.tensor(means, { dtype }) });
  return new Classifier(backbone, head, { model: 'gm-affine', featureDim: means[0]!.length, numClasses: means.length, inputShape: [backboneWeight[0]!.length] });
}

/** A random 1×8×8 CNN with batch-norm and dropout (so eval mode matters), K classes. */
export function tinyCnn(k: number, head: 'softmax' | 'gm', seed = 3, dtype: DType = 'float64'): Classifier {
  const o = { generator: new g.Generator(seed), dtype };
  const backbone = new Sequential(
    new Conv2d(1, 4, 3, { padding: 1, ...o }), new BatchNorm2d(4, o), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Dropout(0.5), new Linear(4 * 4 * 4, 6, o),
  );
  const h = head === 'gm' ? new GMHead(6, k, { ...o, meanInitStd: 1 }) : new Linear(6, k, o);
  return new Classifier(backbone, h, { model: 'tiny-cnn', featureDim: 6, numClasses: k, inputShape: [1, 8, 8] });
}

/** Uniform images in [lo, hi] from a seeded generator. */
export function images(shape: number[], seed: number, lo = 0, hi = 1, dtype: DType = 'float64'): Tensor {
  return g.uniform(shape, lo, hi, { generator: new g.Generator(seed), dtype });
}

export function labels(values: number[]): Tensor {
  return g.tensor(values, { dtype: 'int32' });
}

/** The model's own eval-mode predictions (so the clean accuracy is 100 % by construction). */
export function predictions(model: Classifier, x: Tensor): Tensor {
  const was = model.training;
  model.eval();
  const p = g.noGrad(() => g.argmax(model.forward(x), 1));
  model.train(was);
  return p;
}

export function arr(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

/** rows of a [N, ...] tensor as flat arrays */
export function rows(t: Tensor): number[][] {
  const d = arr(t);
  const n = t.shape[0]!, m = d.length / n;
  return Array.from({ length: n }, (_, i) => d.slice(i * m, (i + 1) * m));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** slice sample i of x as a batch of one */
export function sample(x: Tensor, i: number): Tensor {
  return g.narrow(x, 0, i, 1);
}
