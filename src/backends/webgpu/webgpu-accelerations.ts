/**
 * The WebGPU backend's fused kernels (every acceleration of the contract): GEMMs with a fused
 * epilogue (bias, inference batch norm, ReLU), the convolution and pooling gradients, softmax, the
 * GM loss, batch norm, ReLU's gradient, the L∞ attack step and the optimizer updates. Each validates its arguments, allocates its outputs and records the kernels
 * (kernels-*.ts), as the required primitives do.
 */
import type {
  Accelerations, AdamParams, BatchNormParams, Conv2dParams, GMLossParams, LinfStepParams, Pool2dParams, SgdParams, Storage,
} from '../../core/backend.js';
import type { WebGpuStorage } from './gpu-storage.js';
import * as attack from './kernels-attack.js';
import * as elementwise from './kernels-elementwise.js';
import * as gemm from './kernels-gemm.js';
import * as nn from './kernels-nn.js';
import * as optim from './kernels-optim.js';
import * as pool from './kernels-pool.js';
import type { GpuKernelScope } from './webgpu-backend.js';

export function webGpuAccelerations(scope: GpuKernelScope): Accelerations {
  const { ctx, checks } = scope;
  const begin = (op: string) => scope.begin(op);
  const storage = (kernel: string, what: string, s: Storage) => scope.storage(kernel, what, s);

  const gmInputs = (kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) => {
    const X = storage(kernel, 'x', x), M = storage(kernel, 'means', means), Y = storage(kernel, 'labels', labels);
    const V = logVar ? storage(kernel, 'logVar', logVar) : null;
    checks.gm(kernel, X, M, V, Y, p);
    return { X, M, V, Y };
  };

  const updateOperands = (kernel: string, param: Storage, others: ReadonlyArray<readonly [string, Storage]>): WebGpuStorage[] => {
    const all = [storage(kernel, 'param', param), ...others.map(([name, s]) => storage(kernel, name, s))];
    checks.update(kernel, all[0]!, others.map(([name], i) => [name, all[i + 1]!] as const));
    return all;
  };

  return {
    conv2dEpilogue: (x, w, p, e) => scope.conv2dEpilogue(x, w, p, e),
    matmulEpilogue: (a, b, p, e) => scope.matmulEpilogue(a, b, p, e),

    conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
      const kernel = begin('conv2dBackwardInput');
      const D = storage(kernel, 'dy', dy), W = storage(kernel, 'w', w);
      checks.convCall(kernel, p, ['dy', D], ['w', W]);
      const out = ctx.allocate(kernel, p.n * p.inC * p.inH * p.inW, D.dtype);
      gemm.conv2dBackwardInput(ctx, kernel, scope.gemm, D, W, p, out);
      return out;
    },

    conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
      const kernel = begin('conv2dBackwardWeight');
      const X = storage(kernel, 'x', x), D = storage(kernel, 'dy', dy);
      checks.convCall(kernel, p, ['x', X], ['dy', D]);
      const out = ctx.allocate(kernel, p.outC * (p.inC / p.groups) * p.kH * p.kW, X.dtype);
      gemm.conv2dBackwardWeight(ctx, kernel, scope.gemm, X, D, p, out);
      return out;
    },

    maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
      const kernel = begin('maxPool2dBackward');
      const D = storage(kernel, 'dy', dy), A = storage(kernel, 'argmax', argmax);
      checks.pool(kernel, p);
      checks.poolOutput(kernel, 'dy', D, p);
      checks.poolOutput(kernel, 'argmax', A, p);
      checks.dtype(kernel, 'argmax', A, 'int32');
      const out = ctx.allocate(kernel, p.n * p.c * p.inH * p.inW, D.dtype);
      pool.maxPool2dBackward(ctx, kernel, D, A, p, out);
      return out;
    },

    avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
      const kernel = begin('avgPool2dBackward');
      const D = storage(kernel, 'dy', dy);
      checks.pool(kernel, p);
      checks.float(kernel, 'dy', D);
      checks.poolOutput(kernel, 'dy', D, p);
      const out = ctx.allocate(kernel, p.n * p.c * p.inH * p.inW, D.dtype);
      pool.avgPool2dBackward(ctx, kernel, D, p, out);
      return out;
    },

    softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
      const kernel = begin(log ? 'logSoftmax' : 'softmax');
      const X = storage(kernel, 'x', x);
      checks.float(kernel, 'x', X);
      checks.count(kernel, 'outer', outer); checks.count(kernel, 'inner', inner);
      checks.size(kernel, 'x', X, outer * inner, `outer·inner = ${outer}·${inner}`);
      const out = ctx.allocate(kernel, outer * inner, X.dtype);
      nn.softmax(ctx, kernel, X, outer, inner, log, out);
      return out;
    },

    gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) {
      const kernel = begin('gmForward');
      const { X, M, V, Y } = gmInputs(kernel, x, means, logVar, labels, p);
      const result = {
        loss: ctx.allocate(kernel, 1, 'float32'), logits: ctx.allocate(kernel, p.n * p.k, 'float32'),
        logSumExp: ctx.allocate(kernel, p.n, 'float32'), prediction: ctx.allocate(kernel, p.n, 'int32'),
        score: ctx.allocate(kernel, p.n, 'float32'),
      };
      nn.gmForward(ctx, kernel, X, M, V, Y, p, result);
      return result;
    },

    gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage, gradLoss: Storage, p: GMLossParams) {
      const kernel = begin('gmBackward');
      const { X, M, V, Y } = gmInputs(kernel, x, means, logVar, labels, p);
      const L = storage(kernel, 'logSumExp', logSumExp), G = storage(kernel, 'gradLoss', gradLoss);
      checks.gmBackwardExtras(kernel, X, L, G, p);
      const dx = ctx.allocate(kernel, p.n * p.d, 'float32'), dMeans = ctx.allocate(kernel, p.k * p.d, 'float32');
      const dLogVar = V ? ctx.allocate(kernel, p.k * p.d, 'float32') : null;
      nn.gmBackward(ctx, kernel, X, M, V, Y, L, G, p, { dx, dMeans, dLogVar });
      return dLogVar ? { dx, dMeans, dLogVar } : { dx, dMeans };
    },

    batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      const kernel = begin('batchNormForward');
      const X = storage(kernel, 'x', x);
      const W = weight && storage(kernel, 'weight', weight), B = bias && storage(kernel, 'bias', bias);
      checks.batchNorm(kernel, X, [['weight', W], ['bias', B]], p);
      const result = {
        out: ctx.allocate(kernel, X.size, 'float32'), mean: ctx.allocate(kernel, p.c, 'float32'), variance: ctx.allocate(kernel, p.c, 'float32'),
      };
      nn.batchNormForward(ctx, kernel, X, W, B, p, result);
      return result;
    },

    batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null, p: BatchNormParams) {
      const kernel = begin('batchNormBackward');
      const X = storage(kernel, 'x', x), D = storage(kernel, 'dy', dy);
      const M = storage(kernel, 'mean', mean), V = storage(kernel, 'variance', variance);
      const W = weight && storage(kernel, 'weight', weight);
      checks.batchNorm(kernel, X, [['mean', M], ['variance', V], ['weight', W]], p, [['dy', D]]);
      const result = {
        dx: ctx.allocate(kernel, X.size, 'float32'), dWeight: ctx.allocate(kernel, p.c, 'float32'), dBias: ctx.allocate(kernel, p.c, 'float32'),
      };
      nn.batchNormBackward(ctx, kernel, D, X, M, V, W, p, result);
      return result;
    },

    batchNormReluForward(x: Storage, residual: Storage | null, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      const kernel = begin('batchNormReluForward');
      const X = storage(kernel, 'x', x), R = residual && storage(kernel, 'residual', residual);
      const W = weight && storage(kernel, 'weight', weight), B = bias && storage(kernel, 'bias', bias);
      checks.batchNorm(kernel, X, [['weight', W], ['bias', B]], p, R ? [['residual', R]] : []);
      const result = {
        out: ctx.allocate(kernel, X.size, 'float32'), mean: ctx.allocate(kernel, p.c, 'float32'), variance: ctx.allocate(kernel, p.c, 'float32'),
      };
      nn.batchNormForward(ctx, kernel, X, W, B, p, result, { residual: R });
      return result;
    },

    // two passes: ReLU's gradient (the residual's), then batch norm's gradient of it (a single
    // pass would bind ten storage buffers, over the eight a shader stage is guaranteed)
    batchNormReluBackward(g: Storage, out: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
      p: BatchNormParams, residualGrad: boolean) {
      const kernel = begin('batchNormReluBackward');
      const G = storage(kernel, 'g', g), O = storage(kernel, 'out', out), X = storage(kernel, 'x', x);
      const M = storage(kernel, 'mean', mean), V = storage(kernel, 'variance', variance);
      const W = weight && storage(kernel, 'weight', weight);
      checks.batchNorm(kernel, X, [['mean', M], ['variance', V], ['weight', W]], p, [['g', G], ['out', O]]);
      const result = {
        dx: ctx.allocate(kernel, X.size, 'float32'), dWeight: ctx.allocate(kernel, p.c, 'float32'), dBias: ctx.allocate(kernel, p.c, 'float32'),
      };
      const masked = ctx.allocate(kernel, X.size, 'float32');
      elementwise.reluBackward(ctx, kernel, G, O, masked);
      nn.batchNormBackward(ctx, kernel, masked, X, M, V, W, p, result);
      if (!residualGrad) ctx.release(masked);
      return { ...result, dResidual: residualGrad ? masked : null };
    },

    reluBackward(g: Storage, y: Storage): Storage {
      const kernel = begin('reluBackward');
      const G = storage(kernel, 'g', g), Y = storage(kernel, 'y', y);
      checks.reluBackward(kernel, G, Y);
      const out = ctx.allocate(kernel, Y.size, Y.dtype);
      elementwise.reluBackward(ctx, kernel, G, Y, out);
      return out;
    },

    linfStep(xAdv: Storage, x: Storage, g: Storage, p: LinfStepParams): Storage {
      const kernel = begin('linfStep');
      const A = storage(kernel, 'xAdv', xAdv), X = storage(kernel, 'x', x), G = storage(kernel, 'g', g);
      checks.linfStep(kernel, p, [['xAdv', A], ['x', X], ['g', G]]);
      const out = ctx.allocate(kernel, p.size, 'float32');
      attack.linfStep(ctx, kernel, A, X, G, out, p);
      return out;
    },

    sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
      const kernel = begin('sgdStep');
      const [P, G, B] = updateOperands(kernel, param, momentumBuf ? [['grad', grad], ['momentumBuf', momentumBuf]] : [['grad', grad]]);
      optim.sgdStep(ctx, kernel, P!, G!, B ?? null, p);
    },

    adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
      const kernel = begin('adamStep');
      checks.adamStep(kernel, p.step);
      const [P, G, M, V] = updateOperands(kernel, param, [['grad', grad], ['m', m], ['v', v]]);
      optim.adamStep(ctx, kernel, P!, G!, M!, V!, p);
    },
  };
}
