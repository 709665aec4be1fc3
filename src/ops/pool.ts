/** Max and average pooling (NCHW) and adaptive/global average pooling. */
import type { Conv2dParams, Pool2dParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { record } from '../core/autograd.js';
import { poolInverseDivisors } from '../core/kernel-contract.js';
import { tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { conv2dInputGrad } from './conv-grad.js';
import { tensor } from './creation.js';
import { binaryRaw, reshapeRaw } from './raw.js';
import { mean } from './reduce.js';
import { checkFloat, checkTensor, OpError, pair } from './util.js';

export interface Pool2dOptions {
  /** defaults to the kernel size */
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** round the output size up (PyTorch ceil_mode) */
  ceilMode?: boolean;
  /** avg only (default true, as PyTorch) */
  countIncludePad?: boolean;
}

export function pool2dParams(op: string, xShape: readonly number[], kernel: number | [number, number], o: Pool2dOptions): Pool2dParams {
  if (xShape.length !== 4) throw new OpError(`${op}: input must be NCHW (rank 4), got ${formatShape(xShape)}`);
  const [n, c, inH, inW] = xShape as [number, number, number, number];
  const [kH, kW] = pair(kernel);
  const [strideH, strideW] = pair(o.stride ?? kernel);
  const [padTop, padLeft] = pair(o.padding ?? 0);
  for (const [name, v] of [['kernel', kH], ['kernel', kW], ['stride', strideH], ['stride', strideW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new OpError(`${op}: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(padTop) || padTop < 0 || padTop * 2 > kH || !Number.isInteger(padLeft) || padLeft < 0 || padLeft * 2 > kW) {
    throw new OpError(`${op}: padding ${padTop}×${padLeft} must be non-negative and at most half the kernel ${kH}×${kW}`);
  }
  const size = (inp: number, k: number, s: number, pad: number) => {
    const span = inp + 2 * pad - k;
    let out = (o.ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (o.ceilMode && (out - 1) * s >= inp + pad) out--; // the last window must start inside the input
    return out;
  };
  const outH = size(inH, kH, strideH, padTop), outW = size(inW, kW, strideW, padLeft);
  if (outH <= 0 || outW <= 0) throw new OpError(`${op}: kernel ${kH}×${kW} is larger than the padded input of ${formatShape(xShape)}`);
  return { n, c, inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft, countIncludePad: o.countIncludePad ?? true };
}

/** Max pooling; the gradient goes to the first maximum of each window (row-major), as PyTorch. */
export function maxPool2d(x: Tensor, kernel: number | [number, number], options: Pool2dOptions = {}): Tensor {
  checkTensor('maxPool2d', x);
  checkFloat('maxPool2d', x);
  const p = pool2dParams('maxPool2d', x.shape, kernel, options);
  const { out, argmax } = x.backend.maxPool2d(x.storage, p);
  const shape = [p.n, p.c, p.outH, p.outW];
  const y = fromStorage(out, shape, x.dtype);
  const idx = fromStorage(argmax, shape, 'int32');
  const result = record('maxPool2d', [x], y, (g) => [maxPool2dGrad(g, idx, p)]);
  if (!result.gradNode) idx.dispose();
  return result;
}

export function avgPool2d(x: Tensor, kernel: number | [number, number], options: Pool2dOptions = {}): Tensor {
  checkTensor('avgPool2d', x);
  checkFloat('avgPool2d', x);
  const p = pool2dParams('avgPool2d', x.shape, kernel, options);
  const y = fromStorage(x.backend.avgPool2d(x.storage, p), [p.n, p.c, p.outH, p.outW], x.dtype);
  return record('avgPool2d', [x], y, (g) => [avgPool2dGrad(g, p)]);
}

/** dx of max pooling: each dy added at its window's argmax (composed: a scatterAdd over each plane) */
function maxPool2dGrad(dy: Tensor, argmax: Tensor, p: Pool2dParams): Tensor {
  const shape = [p.n, p.c, p.inH, p.inW];
  const fused = accelerated(dy.backend, 'maxPool2dBackward');
  if (fused) return fromStorage(fused(dy.storage, argmax.storage, p), shape, dy.dtype);
  const planes = p.n * p.c, outPlane = p.outH * p.outW;
  return fromStorage(dy.backend.scatterAdd(dy.storage, argmax.storage, planes, p.inH * p.inW, 1, outPlane), shape, dy.dtype);
}

/**
 * dx of average pooling. Composed: the transposed convolution (conv2dInputGrad) of dy/divisor with
 * a kH×kW kernel of ones, each plane an image of one channel.
 */
function avgPool2dGrad(dy: Tensor, p: Pool2dParams): Tensor {
  const fused = accelerated(dy.backend, 'avgPool2dBackward');
  if (fused) return fromStorage(fused(dy.storage, p), [p.n, p.c, p.inH, p.inW], dy.dtype);
  return tidy(() => {
    const opts = { dtype: dy.dtype, backend: dy.backend };
    const inverse = tensor(poolInverseDivisors(p), { ...opts, shape: [p.outH, p.outW] });
    const scaled = reshapeRaw(binaryRaw('mul', dy, inverse), [p.n * p.c, 1, p.outH, p.outW]);
    const ones = tensor(new Float64Array(p.kH * p.kW).fill(1), { ...opts, shape: [1, 1, p.kH, p.kW] });
    const q: Conv2dParams = {
      n: p.n * p.c, inC: 1, inH: p.inH, inW: p.inW, outC: 1, kH: p.kH, kW: p.kW, outH: p.outH, outW: p.outW,
      strideH: p.strideH, strideW: p.strideW, padTop: p.padTop, padLeft: p.padLeft, dilationH: 1, dilationW: 1, groups: 1,
    };
    return reshapeRaw(conv2dInputGrad(scaled, ones, q), [p.n, p.c, p.inH, p.inW]);
  });
}

/** Adaptive average pooling to [outH, outW]; sizes that divide the input use one avg-pool kernel. */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  checkTensor('adaptiveAvgPool2d', x);
  if (x.rank !== 4) throw new OpError(`adaptiveAvgPool2d: input must be NCHW (rank 4), got ${formatShape(x.shape)}`);
  const [oh, ow] = pair(outputSize);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (oh === 1 && ow === 1) return mean(x, [2, 3], true);
  if (h % oh === 0 && w % ow === 0) return avgPool2d(x, [h / oh, w / ow]);
  throw new OpError(`adaptiveAvgPool2d: output ${oh}×${ow} must divide the input ${h}×${w} (or be 1×1)`);
}

/** Mean over H and W: [N, C, H, W] → [N, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  checkTensor('globalAvgPool2d', x);
  if (x.rank !== 4) throw new OpError(`globalAvgPool2d: input must be NCHW (rank 4), got ${formatShape(x.shape)}`);
  return mean(x, [2, 3]);
}
