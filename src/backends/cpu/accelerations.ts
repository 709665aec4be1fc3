/**
 * The CPU reference's fused kernels (every acceleration of the contract but the GEMM epilogues,
 * which would gain a host nothing), in float64 with one rounding into the output: the convolution
 * and pooling gradients, softmax, the GM loss, batch norm (alone and with a residual add and a ReLU), PReLU, ReLU's gradient, the L∞ attack step and the
 * optimizer updates. Each validates its arguments like a required kernel does.
 */
import type {
  Accelerations, AdamParams, BatchNormParams, Conv2dParams, GMLossParams, LinfStepParams, Pool2dParams, PreluParams, SgdParams, Storage,
} from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';
import { linfStepInto } from './attack-step.js';
import type { CpuBackend } from './backend.js';
import { batchNormBackwardInto, batchNormForwardInto } from './batch-norm.js';
import { batchNormReluBackwardInto, batchNormReluForwardInto } from './batch-norm-relu.js';
import { conv2dBackwardInputInto, conv2dBackwardWeightInto } from './conv.js';
import { gmBackwardInto, gmForwardInto } from './gm.js';
import { adamStepInPlace, sgdStepInPlace } from './optim.js';
import { avgPool2dBackwardInto, maxPool2dBackwardInto } from './pool.js';
import { preluBackwardInto, preluInto } from './prelu.js';
import { softmaxInto } from './softmax.js';
import type { CpuStorage } from './storage.js';

export function cpuAccelerations(b: CpuBackend): Accelerations {
  const { checks } = b;

  /** validated GM operands (label values included) as arrays */
  const gmInputs = (kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) => {
    const inputs = {
      x: b.arrayOf(kernel, 'x', x), means: b.arrayOf(kernel, 'means', means),
      logVar: logVar ? b.arrayOf(kernel, 'logVar', logVar) : null, labels: b.arrayOf(kernel, 'labels', labels),
    };
    checks.gm(kernel, x, means, logVar, labels, p);
    checks.hostLabels(kernel, inputs.labels, p.k);
    return inputs;
  };

  /** runs a float64 accumulation into `out` (directly when float64) */
  const accumulate = (out: CpuStorage, body: (acc: Float64Array) => void) => {
    const acc = b.accumulatorFor(out);
    body(acc);
    if (acc !== out.data) out.data.set(acc);
  };

  const optimizerArrays = (kernel: string, param: Storage, others: ReadonlyArray<readonly [string, Storage]>): TypedArray[] => {
    const arrays = [b.arrayOf(kernel, 'param', param), ...others.map(([name, s]) => b.arrayOf(kernel, name, s))];
    checks.update(kernel, param, others);
    return arrays;
  };

  return {
    conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
      const kernel = b.kernelName('conv2dBackwardInput');
      const D = b.arrayOf(kernel, 'dy', dy), W = b.arrayOf(kernel, 'w', w);
      checks.convCall(kernel, p, ['dy', dy], ['w', w]);
      const out = b.allocate(kernel, p.n * p.inC * p.inH * p.inW, dy.dtype);
      conv2dBackwardInputInto(D, W, out.data, p, b.scratch);
      return out;
    },

    conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
      const kernel = b.kernelName('conv2dBackwardWeight');
      const X = b.arrayOf(kernel, 'x', x), D = b.arrayOf(kernel, 'dy', dy);
      checks.convCall(kernel, p, ['x', x], ['dy', dy]);
      const out = b.allocate(kernel, p.outC * (p.inC / p.groups) * p.kH * p.kW, x.dtype);
      conv2dBackwardWeightInto(X, D, out.data, p, b.scratch);
      return out;
    },

    maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
      const kernel = b.kernelName('maxPool2dBackward');
      const D = b.arrayOf(kernel, 'dy', dy), A = b.arrayOf(kernel, 'argmax', argmax);
      checks.pool(kernel, p);
      checks.poolOutput(kernel, 'dy', dy, p);
      checks.poolOutput(kernel, 'argmax', argmax, p);
      checks.dtype(kernel, 'argmax', argmax, 'int32');
      checks.hostArgmax(kernel, A, p);
      const out = b.allocate(kernel, p.n * p.c * p.inH * p.inW, dy.dtype);
      accumulate(out, (acc) => maxPool2dBackwardInto(D, A, acc, p));
      return out;
    },

    avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
      const kernel = b.kernelName('avgPool2dBackward');
      const D = b.arrayOf(kernel, 'dy', dy);
      checks.pool(kernel, p);
      checks.float(kernel, 'dy', dy);
      checks.poolOutput(kernel, 'dy', dy, p);
      const out = b.allocate(kernel, p.n * p.c * p.inH * p.inW, dy.dtype);
      accumulate(out, (acc) => avgPool2dBackwardInto(D, acc, p));
      return out;
    },

    softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
      const kernel = b.kernelName(log ? 'logSoftmax' : 'softmax');
      const X = b.arrayOf(kernel, 'x', x);
      checks.float(kernel, 'x', x);
      checks.count(kernel, 'outer', outer); checks.count(kernel, 'inner', inner);
      checks.size(kernel, 'x', x, outer * inner, `outer·inner = ${outer}·${inner}`);
      const out = b.allocate(kernel, outer * inner, x.dtype);
      softmaxInto(X, out.data, outer, inner, log);
      return out;
    },

    gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) {
      const kernel = b.kernelName('gmForward');
      const inputs = gmInputs(kernel, x, means, logVar, labels, p);
      const result = {
        loss: b.allocate(kernel, 1, x.dtype), logits: b.allocate(kernel, p.n * p.k, x.dtype),
        logSumExp: b.allocate(kernel, p.n, x.dtype), prediction: b.allocate(kernel, p.n, 'int32'), score: b.allocate(kernel, p.n, x.dtype),
      };
      gmForwardInto(inputs, p, {
        loss: result.loss.data, logits: result.logits.data, logSumExp: result.logSumExp.data,
        prediction: result.prediction.data, score: result.score.data,
      });
      return result;
    },

    gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage, gradLoss: Storage, p: GMLossParams) {
      const kernel = b.kernelName('gmBackward');
      const inputs = gmInputs(kernel, x, means, logVar, labels, p);
      const L = b.arrayOf(kernel, 'logSumExp', logSumExp), G = b.arrayOf(kernel, 'gradLoss', gradLoss);
      checks.gmBackwardExtras(kernel, x, logSumExp, gradLoss, p);
      const dx = b.allocate(kernel, p.n * p.d, x.dtype), dMeans = b.allocate(kernel, p.k * p.d, x.dtype);
      const dLogVar = logVar ? b.allocate(kernel, p.k * p.d, x.dtype) : null;
      gmBackwardInto(inputs, p, L, G[0]!, { dx: dx.data, dMeans: dMeans.data, dLogVar: dLogVar?.data ?? null });
      return dLogVar ? { dx, dMeans, dLogVar } : { dx, dMeans };
    },

    batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      const kernel = b.kernelName('batchNormForward');
      const X = b.arrayOf(kernel, 'x', x);
      const W = weight && b.arrayOf(kernel, 'weight', weight), B = bias && b.arrayOf(kernel, 'bias', bias);
      checks.batchNorm(kernel, x, [['weight', weight], ['bias', bias]], p);
      const out = b.allocate(kernel, x.size, x.dtype), mean = b.allocate(kernel, p.c, x.dtype), variance = b.allocate(kernel, p.c, x.dtype);
      batchNormForwardInto(X, W, B, out.data, mean.data, variance.data, p);
      return { out, mean, variance };
    },

    batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null, p: BatchNormParams) {
      const kernel = b.kernelName('batchNormBackward');
      const D = b.arrayOf(kernel, 'dy', dy), X = b.arrayOf(kernel, 'x', x);
      const M = b.arrayOf(kernel, 'mean', mean), V = b.arrayOf(kernel, 'variance', variance);
      const W = weight && b.arrayOf(kernel, 'weight', weight);
      checks.batchNorm(kernel, x, [['mean', mean], ['variance', variance], ['weight', weight]], p, [['dy', dy]]);
      const dx = b.allocate(kernel, x.size, x.dtype), dWeight = b.allocate(kernel, p.c, x.dtype), dBias = b.allocate(kernel, p.c, x.dtype);
      batchNormBackwardInto(D, X, M, V, W, dx.data, dWeight.data, dBias.data, p);
      return { dx, dWeight, dBias };
    },

    batchNormReluForward(x: Storage, residual: Storage | null, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      const kernel = b.kernelName('batchNormReluForward');
      const X = b.arrayOf(kernel, 'x', x), R = residual && b.arrayOf(kernel, 'residual', residual);
      const W = weight && b.arrayOf(kernel, 'weight', weight), B = bias && b.arrayOf(kernel, 'bias', bias);
      checks.batchNorm(kernel, x, [['weight', weight], ['bias', bias]], p, residual ? [['residual', residual]] : []);
      const out = b.allocate(kernel, x.size, x.dtype), mean = b.allocate(kernel, p.c, x.dtype), variance = b.allocate(kernel, p.c, x.dtype);
      batchNormReluForwardInto(X, R, W, B, out.data, mean.data, variance.data, p);
      return { out, mean, variance };
    },

    batchNormReluBackward(g: Storage, out: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
      p: BatchNormParams, residualGrad: boolean) {
      const kernel = b.kernelName('batchNormReluBackward');
      const G = b.arrayOf(kernel, 'g', g), O = b.arrayOf(kernel, 'out', out), X = b.arrayOf(kernel, 'x', x);
      const M = b.arrayOf(kernel, 'mean', mean), V = b.arrayOf(kernel, 'variance', variance);
      const W = weight && b.arrayOf(kernel, 'weight', weight);
      checks.batchNorm(kernel, x, [['mean', mean], ['variance', variance], ['weight', weight]], p, [['g', g], ['out', out]]);
      const dx = b.allocate(kernel, x.size, x.dtype), dWeight = b.allocate(kernel, p.c, x.dtype), dBias = b.allocate(kernel, p.c, x.dtype);
      const masked = b.allocate(kernel, x.size, x.dtype);
      batchNormReluBackwardInto(G, O, X, M, V, W, dx.data, dWeight.data, dBias.data, masked.data, p);
      if (!residualGrad) b.free(masked);
      return { dx, dWeight, dBias, dResidual: residualGrad ? masked : null };
    },

    prelu(x: Storage, weight: Storage, p: PreluParams): Storage {
      const kernel = b.kernelName('prelu');
      const X = b.arrayOf(kernel, 'x', x), W = b.arrayOf(kernel, 'weight', weight);
      checks.prelu(kernel, x, weight, p);
      const out = b.allocate(kernel, x.size, x.dtype);
      preluInto(X, W, out.data, p);
      return out;
    },

    preluBackward(g: Storage, x: Storage, weight: Storage, p: PreluParams) {
      const kernel = b.kernelName('preluBackward');
      const G = b.arrayOf(kernel, 'g', g), X = b.arrayOf(kernel, 'x', x), W = b.arrayOf(kernel, 'weight', weight);
      checks.prelu(kernel, x, weight, p, [['g', g]]);
      const dx = b.allocate(kernel, x.size, x.dtype), dWeight = b.allocate(kernel, weight.size, x.dtype);
      preluBackwardInto(G, X, W, dx.data, dWeight.data, p, x.dtype === 'float32' ? Math.fround : (v) => v);
      return { dx, dWeight };
    },

    reluBackward(g: Storage, y: Storage): Storage {
      const kernel = b.kernelName('reluBackward');
      const G = b.arrayOf(kernel, 'g', g), Y = b.arrayOf(kernel, 'y', y);
      checks.reluBackward(kernel, g, y);
      const out = b.allocate(kernel, y.size, y.dtype), O = out.data;
      for (let i = 0; i < O.length; i++) O[i] = Y[i]! > 0 ? G[i]! : 0;
      return out;
    },

    linfStep(xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams): Storage {
      const kernel = b.kernelName('linfStep');
      const A = b.arrayOf(kernel, 'xAdv', xAdv), X = b.arrayOf(kernel, 'x', x), G = b.arrayOf(kernel, 'g', g);
      checks.linfStep(kernel, p, [['xAdv', xAdv], ['x', x], ['g', g]]);
      const out = b.allocate(kernel, p.size, xAdv.dtype);
      linfStepInto(out.data, A, X, G, p);
      return out;
    },

    sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
      const kernel = b.kernelName('sgdStep');
      const [P, G, B] = optimizerArrays(kernel, param, momentumBuf ? [['grad', grad], ['momentumBuf', momentumBuf]] : [['grad', grad]]);
      sgdStepInPlace(P!, G!, B ?? null, p);
    },

    adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
      const kernel = b.kernelName('adamStep');
      checks.adamStep(kernel, p.step);
      const [P, G, M, V] = optimizerArrays(kernel, param, [['grad', grad], ['m', m], ['v', v]]);
      adamStepInPlace(P!, G!, M!, V!, p);
    },
  };
}
