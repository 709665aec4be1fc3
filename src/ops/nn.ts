/** Neural-network functions: losses, dropout and parametric activations. */
import type { PreluParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { record } from '../core/autograd.js';
import { defaultGenerator, type Generator } from '../core/random.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { mul, sub } from './binary.js';
import { rand, full } from './creation.js';
import { gather, oneHot } from './indexing.js';
import { binaryRaw } from './raw.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';
import { logSoftmax } from './softmax.js';
import { affine, neg, relu, square } from './unary.js';
import { checkTensor, OpError } from './util.js';

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
  /** PyTorch label smoothing s: targets (1 − s)·one-hot + s/C */
  labelSmoothing?: number;
}

/** Cross-entropy of logits [N, C] against int32 class indices [N], through the fused log-softmax. */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkTensor('crossEntropy', logits);
  checkLabels('crossEntropy', logits, target);
  const smoothing = options.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new OpError(`crossEntropy: labelSmoothing must be in [0, 1], got ${smoothing}`);
  const reduction = options.reduction ?? 'mean';
  const lp = logSoftmax(logits, 1);
  if (smoothing === 0) return nllLoss(lp, target, reduction);
  const c = logits.shape[1]!;
  const q = affine(oneHot(target, c, logits.dtype as 'float32' | 'float64'), 1 - smoothing, smoothing / c);
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

/** Inverted dropout with a seeded mask (identity when not training or p = 0). */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  checkTensor('dropout', x);
  if (!(p >= 0 && p < 1)) throw new OpError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const u = rand(x.shape, { generator, dtype: x.dtype, backend: x.backend });
  const keepMask = binaryRaw('ge', u, full([], p, { dtype: x.dtype, backend: x.backend }));
  return mul(x, affine(keepMask, 1 / (1 - p), 0));
}

/**
 * Parametric ReLU with one slope per channel (axis 1) or a single slope: relu(x) − w·relu(−x). A
 * backend listing the prelu/preluBackward accelerations runs it in one pass and its gradient in
 * another.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkTensor('prelu', x);
  checkTensor('prelu', weight, 'weight');
  const c = weight.size;
  if (c !== 1 && (x.rank < 2 || x.shape[1] !== c)) {
    throw new OpError(`prelu: weight has ${c} slopes but the input ${formatShape(x.shape)} has ${x.shape[1] ?? 'no'} channels (axis 1); expected 1 or the channel count`);
  }
  const forward = accelerated(x.backend, 'prelu'), backward = accelerated(x.backend, 'preluBackward');
  if (forward && backward && weight.dtype === x.dtype && weight.backend === x.backend) {
    const channels = x.rank < 2 ? 1 : x.shape[1]!, outer = x.rank < 2 ? 1 : x.shape[0]!;
    const p: PreluParams = { outer, c: channels, inner: outer * channels === 0 ? 0 : x.size / (outer * channels), shared: c === 1 };
    const y = fromStorage(forward(x.storage, weight.storage, p), x.shape, x.dtype);
    return record('prelu', [x, weight], y, (g) => {
      const r = backward(g.storage, x.storage, weight.storage, p);
      return [fromStorage(r.dx, x.shape, x.dtype), fromStorage(r.dWeight, weight.shape, weight.dtype)];
    });
  }
  const shape = c === 1 ? [1] : [1, c, ...new Array<number>(Math.max(0, x.rank - 2)).fill(1)];
  const w = weight.rank === shape.length ? weight : reshape(weight, shape);
  return sub(relu(x), mul(w, relu(neg(x))));
}
