/**
 * Batch normalisation over every axis but 1 (channels). Training normalises with the batch
 * statistics (the fused batchNormForward/Backward kernels where the backend lists them, else the
 * same maths composed from reductions and elementwise ops); evaluation is a per-channel affine map
 * composed from differentiable ops.
 */
import type { BatchNormParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { noGrad, record } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { add, mul, sub } from './binary.js';
import { sgdStep } from './optimizer-steps.js';
import { affineRaw, binaryRaw, reduceRaw, reshapeRaw, unaryRaw } from './raw.js';
import { reshape } from './shape.js';
import { affine, rsqrt } from './unary.js';
import { checkFloat, checkTensor, OpError } from './util.js';

export interface BatchNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** true: normalise with batch statistics and update the running ones */
  training: boolean;
  momentum?: number;
  /** added to the variance before the square root (PyTorch's eps), default 1e-5 */
  varianceEpsilon?: number;
}

/**
 * Training uses the biased batch variance to normalise and updates the running variance with the
 * unbiased one (PyTorch).
 */
export function batchNorm(x: Tensor, o: BatchNormOptions): Tensor {
  const setup = checkBatchNorm('batchNorm', x, o);
  if (!o.training) {
    const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    let y = mul(sub(x, reshape(o.runningMean!, bshape)), rsqrt(affine(reshape(o.runningVar!, bshape), 1, setup.varianceEpsilon)));
    if (o.weight) y = mul(y, reshape(o.weight, bshape));
    if (o.bias) y = add(y, reshape(o.bias, bshape));
    return y;
  }
  const p = setup.training!;
  const weight = o.weight ?? null, bias = o.bias ?? null;
  const { y, batchMean, batchVar } = batchNormForward(x, weight, bias, p);
  updateRunningStatistics(o, batchMean, batchVar, p);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  record('batchNorm', inputs, y, (g) => {
    const { dx, dWeight, dBias } = batchNormBackward(g, x, batchMean, batchVar, weight, p);
    const grads = [dx];
    if (weight) grads.push(dWeight); else dWeight.dispose();
    if (bias) grads.push(dBias); else dBias.dispose();
    return grads;
  });
  // the statistics live as long as the graph needs them
  if (!y.gradNode) { batchMean.dispose(); batchVar.dispose(); }
  return y;
}

/**
 * The checks every batch norm makes (errors name `op`); training: the kernels' parameters (null in
 * evaluation mode, which needs the running statistics).
 */
export function checkBatchNorm(op: string, x: Tensor, o: BatchNormOptions): { varianceEpsilon: number; training: BatchNormParams | null } {
  checkTensor(op, x);
  checkFloat(op, x);
  if (x.rank < 2) throw new OpError(`${op}: input must be [N, C, ...], got ${formatShape(x.shape)}`);
  const c = x.shape[1]!;
  const varianceEpsilon = o.varianceEpsilon ?? 1e-5;
  for (const [name, t] of [['runningMean', o.runningMean], ['runningVar', o.runningVar], ['weight', o.weight], ['bias', o.bias]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== c)) throw new OpError(`${op}: ${name} ${formatShape(t.shape)} must be [${c}] for input ${formatShape(x.shape)}`);
    if (t && (t.dtype !== x.dtype || t.backend !== x.backend)) throw new OpError(`${op}: ${name} is ${t.describe()} but x is ${x.describe()}`);
  }
  if (!(varianceEpsilon > 0)) throw new OpError(`${op}: varianceEpsilon must be positive, got ${varianceEpsilon}`);
  if (!o.training) {
    if (!o.runningMean || !o.runningVar) throw new OpError(`${op}: evaluation mode needs runningMean and runningVar`);
    return { varianceEpsilon, training: null };
  }
  const count = x.size / c;
  if (count <= 1) throw new OpError(`${op}: training needs more than one value per channel, got input ${formatShape(x.shape)}`);
  return { varianceEpsilon, training: { outer: x.shape[0]!, c, inner: count / x.shape[0]!, varianceEpsilon } };
}

/** running statistics ← blend with the batch's (when given); the batch variance enters unbiased (· count / (count − 1)) */
export function updateRunningStatistics(o: BatchNormOptions, batchMean: Tensor, batchVar: Tensor, p: BatchNormParams): void {
  if (!o.runningMean || !o.runningVar) return;
  const momentum = o.momentum ?? 0.1, count = p.outer * p.inner;
  blendInPlace(o.runningMean, batchMean, momentum, 1);
  blendInPlace(o.runningVar, batchVar, momentum, count / (count - 1));
}

/**
 * target ← (1 − momentum)·target + momentum·scale·value in place, as one optimizer update: SGD
 * computes p − lr·(g + weightDecay·p), which with lr = −momentum·scale and weightDecay = −1/scale
 * is exactly this blend (one kernel where the backend fuses sgdStep, instead of two scalings, an
 * add and a copy per statistic on every training step).
 */
function blendInPlace(target: Tensor, value: Tensor, momentum: number, scale: number): void {
  sgdStep(target, value, null, { lr: -momentum * scale, momentum: 0, dampening: 0, weightDecay: -1 / scale, nesterov: false, firstStep: false });
}

/** x viewed as [outer, c, inner] and a per-channel [c] tensor viewed as [1, c, 1] */
const channels = (t: Tensor, p: BatchNormParams) => reshapeRaw(t, [1, p.c, 1]);

/** y, and the batch mean and biased variance [c] */
function batchNormForward(x: Tensor, weight: Tensor | null, bias: Tensor | null, p: BatchNormParams) {
  const fused = accelerated(x.backend, 'batchNormForward');
  if (fused) {
    const r = fused(x.storage, weight?.storage ?? null, bias?.storage ?? null, p);
    return { y: fromStorage(r.out, x.shape, x.dtype), batchMean: fromStorage(r.mean, [p.c], x.dtype), batchVar: fromStorage(r.variance, [p.c], x.dtype) };
  }
  const m = p.outer * p.inner;
  const r = noGrad(() => tidy(() => {
    const x3 = reshapeRaw(x, [p.outer, p.c, p.inner]);
    const mean = affineRaw(reduceRaw('sum', x3, [0, 2]), 1 / m, 0);
    const centered = binaryRaw('sub', x3, mean);
    // the mean squared deviation (two passes: it cannot go negative as E[x²] − E[x]² can)
    const variance = affineRaw(reduceRaw('sum', unaryRaw('square', centered), [0, 2]), 1 / m, 0);
    let scale = unaryRaw('rsqrt', affineRaw(variance, 1, p.varianceEpsilon));
    if (weight) scale = binaryRaw('mul', scale, channels(weight, p));
    let y = binaryRaw('mul', centered, scale);
    if (bias) y = binaryRaw('add', y, channels(bias, p));
    return { y: reshapeRaw(y, x.shape), batchMean: reshapeRaw(mean, [p.c]), batchVar: reshapeRaw(variance, [p.c]) };
  }));
  return r;
}

/**
 * x̂ = (x − mean)/√(var + ε); dBias = Σ dy, dWeight = Σ dy·x̂,
 * dx = weight/√(var + ε) · (dy − dBias/M − x̂·dWeight/M), M = outer·inner.
 */
function batchNormBackward(dy: Tensor, x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | null, p: BatchNormParams) {
  const fused = accelerated(x.backend, 'batchNormBackward');
  if (fused) {
    const r = fused(dy.storage, x.storage, mean.storage, variance.storage, weight?.storage ?? null, p);
    return { dx: fromStorage(r.dx, x.shape, x.dtype), dWeight: fromStorage(r.dWeight, [p.c], x.dtype), dBias: fromStorage(r.dBias, [p.c], x.dtype) };
  }
  const m = p.outer * p.inner;
  return tidy(() => {
    const shape3 = [p.outer, p.c, p.inner];
    const dy3 = reshapeRaw(dy, shape3);
    const invStd = unaryRaw('rsqrt', affineRaw(channels(variance, p), 1, p.varianceEpsilon));
    const xHat = binaryRaw('mul', binaryRaw('sub', reshapeRaw(x, shape3), channels(mean, p)), invStd);
    const dBias = reduceRaw('sum', dy3, [0, 2]);
    const dWeight = reduceRaw('sum', binaryRaw('mul', dy3, xHat), [0, 2]);
    const centred = binaryRaw('sub', binaryRaw('sub', dy3, affineRaw(dBias, 1 / m, 0)), binaryRaw('mul', xHat, affineRaw(dWeight, 1 / m, 0)));
    const k = weight ? binaryRaw('mul', invStd, channels(weight, p)) : invStd;
    return { dx: reshapeRaw(binaryRaw('mul', centred, k), x.shape), dWeight: reshapeRaw(dWeight, [p.c]), dBias: reshapeRaw(dBias, [p.c]) };
  });
}
