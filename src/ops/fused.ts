/**
 * Fused GEMM epilogues: a convolution or a linear layer followed by its bias, an inference-mode
 * batch norm (a per-channel scale and shift) and a ReLU, as one kernel on backends that accelerate
 * conv2dEpilogue and matmulEpilogue (WebGPU applies it as the GEMM stores its result), and as the
 * separate ops everywhere else (the composition the fused form is tested against).
 *
 * Gradients: with y = relu(z·s + t) and z the plain convolution (or product), g' = g·[y > 0]
 * (ReLU's gradient, read off the output); dz = g'·s; dx and dw are the convolution's (product's)
 * gradients of dz; dt = Σ g' and ds = Σ g'·z over everything but the channel, z recomputed only
 * when s needs a gradient (a batch norm fine-tuned in evaluation mode).
 */
import type { Backend, Conv2dParams, GemmEpilogue } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { record } from '../core/autograd.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { add, mul, sub } from './binary.js';
import { batchNorm } from './batch-norm.js';
import { conv2d, conv2dParams, type Conv2dOptions } from './conv.js';
import { conv2dInputGrad, conv2dWeightGrad } from './conv-grad.js';
import { linear } from './linalg.js';
import { sum } from './reduce.js';
import { reshape } from './shape.js';
import { reluGradRaw } from './raw.js';
import { affine, relu, rsqrt } from './unary.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

/** An inference-mode batch norm over the GEMM's channels (BatchNorm2d.evalParameters()). */
export interface BatchNormEval {
  runningMean: Tensor;
  runningVar: Tensor;
  weight: Tensor | null;
  bias: Tensor | null;
  /** the ε in var + ε */
  varianceEpsilon: number;
}

export interface EpilogueSpec {
  bias?: Tensor | null;
  batchNorm?: BatchNormEval | null;
  relu?: boolean;
}

/** whether tensors on this backend get the fused kernels (otherwise the ops are composed) */
export function fusesEpilogues(t: Tensor): boolean {
  return epilogueKernels(t.backend) !== null;
}

function epilogueKernels(b: Backend) {
  const conv = accelerated(b, 'conv2dEpilogue'), matmul = accelerated(b, 'matmulEpilogue');
  return conv && matmul ? { conv, matmul } : null;
}

function checkChannels(op: string, what: string, t: Tensor | null | undefined, channels: number, like: Tensor): void {
  if (!t) return;
  checkTensor(op, t, what);
  if (t.rank !== 1 || t.shape[0] !== channels) throw new OpError(`${op}: ${what} ${formatShape(t.shape)} must be [${channels}]`);
  if (t.dtype !== like.dtype || t.backend !== like.backend) throw new OpError(`${op}: ${what} is ${t.describe()} but the input is ${like.describe()}`);
}

/** scale and shift of the epilogue: s = w/√(var + eps), t = (bias − mean)·s + b; or t = bias */
function scaleShift(e: EpilogueSpec): { scale: Tensor | null; shift: Tensor | null } {
  const bn = e.batchNorm;
  if (!bn) return { scale: null, shift: e.bias ?? null };
  let scale = rsqrt(affine(bn.runningVar, 1, bn.varianceEpsilon));
  if (bn.weight) scale = mul(scale, bn.weight);
  let shift = mul(e.bias ? sub(e.bias, bn.runningMean) : affine(bn.runningMean, -1, 0), scale);
  if (bn.bias) shift = add(shift, bn.bias);
  return { scale, shift };
}

/** the epilogue composed of the separate ops on y (the unfused reference) */
function composeTail(y: Tensor, e: EpilogueSpec): Tensor {
  let out = y;
  const bn = e.batchNorm;
  if (bn) {
    out = batchNorm(out, { training: false, runningMean: bn.runningMean, runningVar: bn.runningVar, weight: bn.weight, bias: bn.bias, varianceEpsilon: bn.varianceEpsilon });
  }
  return e.relu ? relu(out) : out;
}

/**
 * Records the fused node: inputs [x, w, scale?, shift?]; `plain` recomputes z, `backInput` /
 * `backWeight` are the GEMM's gradients of dz; `channelAxes` are the axes summed for ds and dt.
 */
function recordFused(op: string, x: Tensor, w: Tensor, y: Tensor, scale: Tensor | null, shift: Tensor | null, e: EpilogueSpec,
  channelShape: number[], channelAxes: number[], plain: () => Tensor,
  backInput: (dz: Tensor) => Tensor, backWeight: (dz: Tensor) => Tensor): Tensor {
  const inputs = [x, w, ...(scale ? [scale] : []), ...(shift ? [shift] : [])];
  return record(op, inputs, y, (g, needs) => {
    const gated = e.relu ? reluGradRaw(y, g) : g;
    const dz = scale ? mul(gated, reshape(scale, channelShape)) : gated;
    const grads: (Tensor | null)[] = [needs[0] ? backInput(dz) : null, needs[1] ? backWeight(dz) : null];
    if (scale) grads.push(needs[2] ? sum(mul(gated, plain()), channelAxes) : null);
    if (shift) grads.push(needs[inputs.length - 1] ? sum(gated, channelAxes) : null);
    return grads;
  });
}

function epilogueOf(scale: Tensor | null, shift: Tensor | null, relu: boolean): GemmEpilogue {
  return { scale: scale?.storage ?? null, shift: shift?.storage ?? null, relu };
}

/** conv2d(x, weight) + bias → inference batch norm → ReLU (each optional), fused where the backend can. */
export function conv2dFused(x: Tensor, weight: Tensor, e: EpilogueSpec, options: Conv2dOptions = {}): Tensor {
  checkTensor('conv2dFused', x);
  checkTensor('conv2dFused', weight, 'weight');
  checkFloat('conv2dFused', x);
  checkSameDType('conv2dFused', x, weight);
  const backend = sameBackend('conv2dFused', x, weight);
  const empty = !e.bias && !e.batchNorm && !e.relu;
  const kernels = empty ? null : epilogueKernels(backend);
  if (!kernels) return composeTail(conv2d(x, weight, e.bias, options), e);
  const p: Conv2dParams = conv2dParams('conv2dFused', x.shape, weight.shape, options);
  checkChannels('conv2dFused', 'bias', e.bias, p.outC, x);
  for (const [name, t] of Object.entries(e.batchNorm ?? {})) if (typeof t === 'object') checkChannels('conv2dFused', `batchNorm.${name}`, t, p.outC, x);
  const { scale, shift } = scaleShift(e);
  const y = fromStorage(kernels.conv(x.storage, weight.storage, p, epilogueOf(scale, shift, e.relu ?? false)), [p.n, p.outC, p.outH, p.outW], x.dtype);
  return recordFused('conv2dFused', x, weight, y, scale, shift, e, [1, p.outC, 1, 1], [0, 2, 3],
    () => fromStorage(backend.conv2d(x.storage, weight.storage, p), y.shape, x.dtype),
    (dz) => conv2dInputGrad(dz, weight, p),
    (dz) => conv2dWeightGrad(x, dz, p));
}

/** linear(x, weight, bias) → ReLU, fused where the backend can (x [..., in], weight [out, in]). */
export function linearFused(x: Tensor, weight: Tensor, e: { bias?: Tensor | null; relu?: boolean }): Tensor {
  checkTensor('linearFused', x);
  checkTensor('linearFused', weight, 'weight');
  checkFloat('linearFused', x);
  checkSameDType('linearFused', x, weight);
  const backend = sameBackend('linearFused', x, weight);
  const kernels = (!e.bias && !e.relu) || weight.rank !== 2 || x.rank !== 2 ? null : epilogueKernels(backend);
  if (!kernels) {
    const y = linear(x, weight, e.bias);
    return e.relu ? relu(y) : y;
  }
  const [n, inF] = x.shape as [number, number];
  const [outF, wIn] = weight.shape as [number, number];
  if (inF !== wIn) throw new OpError(`linearFused: input ${formatShape(x.shape)} has ${inF} features but weight ${formatShape(weight.shape)} expects ${wIn}`);
  checkChannels('linearFused', 'bias', e.bias, outF, x);
  const p = { batch: 1, m: n, n: outF, k: inF, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
  const y = fromStorage(kernels.matmul(x.storage, weight.storage, p, epilogueOf(null, e.bias ?? null, e.relu ?? false)), [n, outF], x.dtype);
  return recordFused('linearFused', x, weight, y, null, e.bias ?? null, e, [1, outF], [0],
    () => { throw new Error('linearFused: no scale to differentiate'); },
    // dx = dz·W, dW = dzᵀ·x
    (dz) => fromStorage(dz.backend.matmul(dz.storage, weight.storage, { ...p, n: inF, k: outF, transB: false }), x.shape, x.dtype),
    (dz) => fromStorage(dz.backend.matmul(dz.storage, x.storage, { ...p, m: outF, n: inF, k: n, transA: true, transB: false }), weight.shape, x.dtype));
}
