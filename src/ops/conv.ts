/** 2-D convolution (cross-correlation, NCHW, weight [out, in/groups, kh, kw]) and its gradients. */
import type { Conv2dParams } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { add } from './binary.js';
import { conv2dInputGrad, conv2dWeightGrad } from './conv-grad.js';
import { reshape } from './shape.js';
import { checkFloat, checkSameDType, checkTensor, OpError, pair, sameBackend } from './util.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  /** symmetric padding per side, or 'same' (stride 1 only; odd extra goes bottom/right) or 'valid' */
  padding?: number | [number, number] | 'same' | 'valid';
  dilation?: number | [number, number];
  groups?: number;
}

export function conv2dParams(op: string, xShape: readonly number[], wShape: readonly number[], o: Conv2dOptions): Conv2dParams {
  if (xShape.length !== 4) throw new OpError(`${op}: input must be NCHW (rank 4), got ${formatShape(xShape)}`);
  if (wShape.length !== 4) throw new OpError(`${op}: weight must be [out, in/groups, kh, kw], got ${formatShape(wShape)}`);
  const [n, inC, inH, inW] = xShape as [number, number, number, number];
  const [outC, wInC, kH, kW] = wShape as [number, number, number, number];
  const groups = o.groups ?? 1;
  const [strideH, strideW] = pair(o.stride ?? 1);
  const [dilationH, dilationW] = pair(o.dilation ?? 1);
  for (const [name, v] of [['groups', groups], ['stride', strideH], ['stride', strideW], ['dilation', dilationH], ['dilation', dilationW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new OpError(`${op}: ${name} must be a positive integer, got ${v}`);
  }
  if (inC % groups !== 0 || outC % groups !== 0) {
    throw new OpError(`${op}: groups=${groups} must divide in channels (${inC}) and out channels (${outC})`);
  }
  if (wInC * groups !== inC) {
    throw new OpError(`${op}: weight ${formatShape(wShape)} expects ${wInC * groups} input channels (in/groups = ${wInC}, groups = ${groups}) but the input ${formatShape(xShape)} has ${inC}`);
  }
  const effKH = dilationH * (kH - 1) + 1, effKW = dilationW * (kW - 1) + 1;
  let padTop: number, padLeft: number, padBottom: number, padRight: number;
  const padding = o.padding ?? 0;
  if (padding === 'same') {
    if (strideH !== 1 || strideW !== 1) throw new OpError(`${op}: padding 'same' needs stride 1, got stride ${strideH}×${strideW}`);
    padTop = Math.floor((effKH - 1) / 2); padBottom = effKH - 1 - padTop;
    padLeft = Math.floor((effKW - 1) / 2); padRight = effKW - 1 - padLeft;
  } else if (padding === 'valid') {
    padTop = padBottom = padLeft = padRight = 0;
  } else {
    [padTop, padLeft] = pair(padding);
    padBottom = padTop; padRight = padLeft;
    if (!Number.isInteger(padTop) || padTop < 0 || !Number.isInteger(padLeft) || padLeft < 0) throw new OpError(`${op}: padding must be non-negative integers, got ${JSON.stringify(padding)}`);
  }
  const outH = Math.floor((inH + padTop + padBottom - effKH) / strideH) + 1;
  const outW = Math.floor((inW + padLeft + padRight - effKW) / strideW) + 1;
  if (outH <= 0 || outW <= 0) {
    throw new OpError(`${op}: kernel ${kH}×${kW} (dilation ${dilationH}×${dilationW}) does not fit the padded input ${inH + padTop + padBottom}×${inW + padLeft + padRight} of ${formatShape(xShape)}`);
  }
  return { n, inC, inH, inW, outC, kH, kW, outH, outW, strideH, strideW, padTop, padLeft, dilationH, dilationW, groups };
}

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  checkTensor('conv2d', x);
  checkTensor('conv2d', weight, 'weight');
  checkFloat('conv2d', x);
  checkSameDType('conv2d', x, weight);
  const backend = sameBackend('conv2d', x, weight);
  const p = conv2dParams('conv2d', x.shape, weight.shape, options);
  const out = fromStorage(backend.conv2d(x.storage, weight.storage, p), [p.n, p.outC, p.outH, p.outW], x.dtype);
  let y = record('conv2d', [x, weight], out, (g, needs) => [
    needs[0] ? conv2dInputGrad(g, weight, p) : null,
    needs[1] ? conv2dWeightGrad(x, g, p) : null,
  ]);
  if (bias) {
    checkTensor('conv2d', bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== p.outC) throw new OpError(`conv2d: bias ${formatShape(bias.shape)} must be [${p.outC}]`);
    y = add(y, reshape(bias, [1, p.outC, 1, 1]));
  }
  return y;
}
