/** Neural-network functions: softmax family, losses, batch normalisation, dropout. */
import type { BatchNormParams } from '../core/backend.js';
import { record, noGrad } from '../core/autograd.js';
import { defaultGenerator, type Generator } from '../core/random.js';
import { formatShape, normalizeAxis } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { add, binaryRaw, mul, sub } from './binary.js';
import { rand, full } from './creation.js';
import { gather, oneHot } from './indexing.js';
import { mean, sum } from './reduce.js';
import { permute, reshape } from './shape.js';
import { affine, exp, rsqrt, square } from './unary.js';
import { checkFloat, checkTensor, OpError } from './util.js';

/** Bring `axis` last (a copy) so the fused kernel can work on rows; returns the undo. */
function toLastAxis(op: string, x: Tensor, axis: number): [Tensor, (t: Tensor) => Tensor] {
  const a = normalizeAxis(op, axis, x.rank);
  if (a === x.rank - 1) return [x, (t) => t];
  const dims = x.shape.map((_, i) => i).filter((i) => i !== a);
  dims.push(a);
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => { inverse[d] = i; });
  return [permute(x, dims), (t) => permute(t, inverse)];
}

function softmaxFamily(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  checkTensor(op, x);
  checkFloat(op, x);
  if (x.rank === 0) throw new OpError(`${op}: input must have at least one axis, got a scalar`);
  const [xl, undo] = toLastAxis(op, x, axis);
  const inner = xl.shape[xl.rank - 1]!;
  const outer = inner === 0 ? 0 : xl.size / inner;
  const log = op === 'logSoftmax';
  const y = fromStorage(xl.backend.softmax(xl.storage, outer, inner, log), xl.shape, xl.dtype);
  const recorded = record(op, [xl], y, (g) => {
    if (log) {
      // d/dx log softmax: g − softmax · Σg
      const p = exp(y);
      return [sub(g, mul(p, sum(g, -1, true)))];
    }
    // d/dx softmax: y ∘ (g − Σ g∘y)
    return [mul(y, sub(g, sum(mul(g, y), -1, true)))];
  });
  return undo(recorded);
}

export const softmax = (x: Tensor, axis = -1) => softmaxFamily('softmax', x, axis);
export const logSoftmax = (x: Tensor, axis = -1) => softmaxFamily('logSoftmax', x, axis);

export type Reduction = 'mean' | 'sum' | 'none';

function checkLabels(op: string, input: Tensor, target: Tensor): void {
  checkTensor(op, target, 'target');
  if (target.dtype !== 'int32') throw new OpError(`${op}: target must hold int32 class indices, got ${target.dtype} ${formatShape(target.shape)}`);
  if (input.rank !== 2 || target.rank !== 1 || target.shape[0] !== input.shape[0]) {
    throw new OpError(`${op}: expected input [N, C] and target [N], got ${formatShape(input.shape)} and ${formatShape(target.shape)}`);
  }
}

function reduce(op: string, perSample: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return perSample;
  if (reduction === 'sum') return sum(perSample);
  if (reduction === 'mean') return mean(perSample);
  throw new OpError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction as string}'`);
}

/** Negative log-likelihood of log-probabilities [N, C] at int32 targets [N]. */
export function nllLoss(logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkTensor('nllLoss', logProbs);
  checkLabels('nllLoss', logProbs, target);
  const picked = reshape(gather(logProbs, 1, reshape(target, [-1, 1])), [-1]);
  return reduce('nllLoss', affine(picked, -1, 0), reduction);
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** PyTorch label smoothing: targets (1−ε)·one-hot + ε/C */
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] against int32 class indices [N], through the fused log-softmax. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkTensor('crossEntropy', logits);
  checkLabels('crossEntropy', logits, target);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new OpError(`crossEntropy: labelSmoothing must be in [0, 1], got ${eps}`);
  const reduction = options.reduction ?? 'mean';
  const lp = logSoftmax(logits, 1);
  if (eps === 0) return nllLoss(lp, target, reduction);
  const c = logits.shape[1]!;
  const q = affine(oneHot(target, c, logits.dtype as 'float32' | 'float64'), 1 - eps, eps / c);
  return reduce('crossEntropy', affine(sum(mul(q, lp), 1), -1, 0), reduction);
}

export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  checkTensor('mseLoss', input);
  checkTensor('mseLoss', target, 'target');
  if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new OpError(`mseLoss: input ${formatShape(input.shape)} and target ${formatShape(target.shape)} must have the same shape`);
  }
  return reduce('mseLoss', square(sub(input, target)), reduction);
}

export interface BatchNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** true: normalise with batch statistics and update the running ones */
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over every axis but 1 (channels). Training uses the biased batch variance to
 * normalise and updates the running variance with the unbiased one (PyTorch). Training runs the
 * backend's fused kernels (statistics, normalisation and the three gradients in a few passes);
 * evaluation is a per-channel affine map composed from ops.
 */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  checkTensor('batchNorm', x);
  checkFloat('batchNorm', x);
  if (x.rank < 2) throw new OpError(`batchNorm: input must be [N, C, ...], got ${formatShape(x.shape)}`);
  const c = x.shape[1]!;
  const eps = o.eps ?? 1e-5;
  const momentum = o.momentum ?? 0.1;
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  for (const [name, t] of [['runningMean', o.runningMean], ['runningVar', o.runningVar], ['weight', o.weight], ['bias', o.bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) throw new OpError(`batchNorm: ${name} ${formatShape(t.shape)} must be [${c}] for input ${formatShape(x.shape)}`);
    if (t && (t.dtype !== x.dtype || t.backend !== x.backend)) throw new OpError(`batchNorm: ${name} is ${t.describe()} but x is ${x.describe()}`);
  }
  if (!(eps > 0)) throw new OpError(`batchNorm: eps must be positive, got ${eps}`);
  if (!o.training) {
    if (!o.runningMean || !o.runningVar) throw new OpError('batchNorm: evaluation mode needs runningMean and runningVar');
    let y = mul(sub(x, reshape(o.runningMean, bshape)), rsqrt(affine(reshape(o.runningVar, bshape), 1, eps)));
    if (o.weight) y = mul(y, reshape(o.weight, bshape));
    if (o.bias) y = add(y, reshape(o.bias, bshape));
    return y;
  }
  const count = x.size / c;
  if (count <= 1) throw new OpError(`batchNorm: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
  const p: BatchNormParams = { outer: x.shape[0]!, c, inner: count / x.shape[0]!, eps };
  const weight = o.weight ?? null, bias = o.bias ?? null;
  const r = x.backend.batchNormForward(x.storage, weight?.storage ?? null, bias?.storage ?? null, p);
  const y = fromStorage(r.out, x.shape, x.dtype);
  const batchMean = fromStorage(r.mean, [c], x.dtype), batchVar = fromStorage(r.variance, [c], x.dtype);
  if (o.runningMean && o.runningVar) {
    // running statistics: the batch variance enters unbiased (· count / (count − 1))
    blendInPlace(o.runningMean, batchMean, momentum, 1);
    blendInPlace(o.runningVar, batchVar, momentum, count / (count - 1));
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  record('batchNorm', inputs, y, (g) => {
    const b = g.backend.batchNormBackward(g.storage, x.storage, batchMean.storage, batchVar.storage, weight?.storage ?? null, p);
    const grads = [fromStorage(b.dx, x.shape, x.dtype)];
    const dWeight = fromStorage(b.dWeight, [c], x.dtype), dBias = fromStorage(b.dBias, [c], x.dtype);
    if (weight) grads.push(dWeight); else dWeight.dispose();
    if (bias) grads.push(dBias); else dBias.dispose();
    return grads;
  });
  // the statistics live as long as the graph needs them
  if (!y.gradNode) { batchMean.dispose(); batchVar.dispose(); }
  return y;
}

/**
 * target ← (1 − momentum)·target + momentum·scale·value in place, as one optimizer-update kernel:
 * sgdStep computes p − lr·(g + weightDecay·p), which with lr = −momentum·scale and
 * weightDecay = −1/scale is exactly this blend (one dispatch instead of two scalings, an add and
 * a copy per statistic on every training step).
 */
function blendInPlace(target: Tensor, value: Tensor, momentum: number, scale: number): void {
  target.backend.sgdStep(target.storage, value.storage, null, {
    lr: -momentum * scale, momentum: 0, dampening: 0, weightDecay: -1 / scale, nesterov: false, firstStep: false,
  });
}

/** Overwrite target's storage with value's contents (same shape); value is disposed. */
export function assignInPlace(target: Tensor, value: Tensor): void {
  if (target.size !== value.size || target.dtype !== value.dtype) {
    throw new OpError(`assignInPlace: ${target.describe()} cannot take ${value.describe()}`);
  }
  target.backend.assign(target.storage, { shape: [target.size], strides: [1], offset: 0 }, { storage: value.storage, view: { shape: [value.size], strides: [1], offset: 0 } });
  value.dispose();
}

/** Inverted dropout with a seeded mask (identity when not training or p = 0). */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkTensor('dropout', x);
  if (!(p >= 0 && p < 1)) throw new OpError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const u = rand(x.shape, { generator, dtype: x.dtype, backend: x.backend });
  const keepMask = binaryRaw('ge', u, full([], p, { dtype: x.dtype, backend: x.backend }));
  return mul(x, affine(keepMask, 1 / (1 - p), 0));
}

