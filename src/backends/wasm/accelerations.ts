/**
 * The WebAssembly backend's fused kernels (WASM_ACCELERATIONS: all but the GEMM epilogues): each runs
 * the wasm kernels on float32 (above a size where a call pays off) and falls back explicitly to
 * the same acceleration of the reference it holds for other dtypes and small calls. The L∞ attack
 * step has no wasm kernel and is the reference's.
 */
import type {
  Accelerations, AdamParams, BatchNormParams, Conv2dParams, GMLossParams, Pool2dParams, PreluParams, SgdParams, Storage,
} from '../../core/backend.js';
import { ACCELERATION_NAMES } from '../../core/kernel-contract.js';
import type { WasmBackend } from './backend.js';
import { gmBackwardFloat32, gmForwardFloat32 } from './gm-loss.js';
import { RELU_BACKWARD_AS_BINARY } from './kernels/elementwise.js';
import { preluBackwardInto, preluForwardInto } from './prelu.js';
import { batchNormReluBackwardInto, batchNormReluForwardInto } from './batch-norm-relu.js';
import { ELEMENTWISE_MIN, SOFTMAX_MIN } from './thresholds.js';

/**
 * Every acceleration but the GEMM epilogues: a host GEMM gains nothing from applying the bias,
 * batch norm and ReLU in its stores over the separate elementwise passes.
 */
export const WASM_ACCELERATIONS = ACCELERATION_NAMES.filter((name) => name !== 'conv2dEpilogue' && name !== 'matmulEpilogue');

const allFloat32 = (...s: Array<Storage | null>) => s.every((x) => x === null || x.dtype === 'float32');

export function wasmAccelerations(b: WasmBackend): Accelerations {
  const ref = b.reference.accelerated;
  const missing = WASM_ACCELERATIONS.filter((name) => !ref[name]);
  if (missing.length) throw new Error(`wasm: the reference backend '${b.reference.name}' must run every acceleration wasm lists; it lacks ${missing.join(', ')}`);
  const { kernels, checks } = b;
  const name = (op: string) => b.reference.kernelName(op);
  const f32 = (kernel: string, what: string, s: Storage) => b.f32(kernel, what, s);

  const gmInputs = (kernel: string, x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) => {
    const inputs = {
      x: f32(kernel, 'x', x), means: f32(kernel, 'means', means), logVar: logVar ? f32(kernel, 'logVar', logVar) : null,
      labels: b.reference.arrayOf(kernel, 'labels', labels) as Int32Array,
    };
    checks.gm(kernel, x, means, logVar, labels, p);
    checks.hostLabels(kernel, inputs.labels, p.k);
    return inputs;
  };

  return {
    conv2dBackwardInput(dy: Storage, w: Storage, p: Conv2dParams): Storage {
      if (!allFloat32(dy, w)) return ref.conv2dBackwardInput!(dy, w, p);
      const kernel = name('conv2dBackwardInput');
      const D = f32(kernel, 'dy', dy), W = f32(kernel, 'w', w);
      checks.convCall(kernel, p, ['dy', dy], ['w', w]);
      const [out, O] = b.output(kernel, p.n * p.inC * p.inH * p.inW);
      kernels.conv2dBackwardInputInto(D, W, O, p);
      return out;
    },

    conv2dBackwardWeight(x: Storage, dy: Storage, p: Conv2dParams): Storage {
      if (!allFloat32(x, dy)) return ref.conv2dBackwardWeight!(x, dy, p);
      const kernel = name('conv2dBackwardWeight');
      const X = f32(kernel, 'x', x), D = f32(kernel, 'dy', dy);
      checks.convCall(kernel, p, ['x', x], ['dy', dy]);
      const [out, O] = b.output(kernel, p.outC * (p.inC / p.groups) * p.kH * p.kW);
      kernels.conv2dBackwardWeightInto(X, D, O, p);
      return out;
    },

    maxPool2dBackward(dy: Storage, argmax: Storage, p: Pool2dParams): Storage {
      if (!allFloat32(dy)) return ref.maxPool2dBackward!(dy, argmax, p);
      const kernel = name('maxPool2dBackward');
      const D = f32(kernel, 'dy', dy), A = b.reference.arrayOf(kernel, 'argmax', argmax) as Int32Array;
      checks.pool(kernel, p);
      checks.poolOutput(kernel, 'dy', dy, p);
      checks.poolOutput(kernel, 'argmax', argmax, p);
      checks.dtype(kernel, 'argmax', argmax, 'int32');
      checks.hostArgmax(kernel, A, p);
      const [out, O] = b.output(kernel, p.n * p.c * p.inH * p.inW);
      kernels.maxPool2dBackwardInto(D, A, O, p);
      return out;
    },

    avgPool2dBackward(dy: Storage, p: Pool2dParams): Storage {
      if (!allFloat32(dy)) return ref.avgPool2dBackward!(dy, p);
      const kernel = name('avgPool2dBackward');
      const D = f32(kernel, 'dy', dy);
      checks.pool(kernel, p);
      checks.poolOutput(kernel, 'dy', dy, p);
      const [out, O] = b.output(kernel, p.n * p.c * p.inH * p.inW);
      kernels.avgPool2dBackwardInto(D, O, p);
      return out;
    },

    softmax(x: Storage, outer: number, inner: number, log: boolean): Storage {
      if (!allFloat32(x) || !(outer * inner >= SOFTMAX_MIN)) return ref.softmax!(x, outer, inner, log);
      const kernel = name(log ? 'logSoftmax' : 'softmax');
      const X = f32(kernel, 'x', x);
      checks.count(kernel, 'outer', outer); checks.count(kernel, 'inner', inner);
      checks.size(kernel, 'x', x, outer * inner, `outer·inner = ${outer}·${inner}`);
      const [out, O] = b.output(kernel, outer * inner);
      kernels.softmaxInto(X, O, outer, inner, log);
      return out;
    },

    gmForward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, p: GMLossParams) {
      if (!allFloat32(x, means, logVar)) return ref.gmForward!(x, means, logVar, labels, p);
      const kernel = name('gmForward');
      const inputs = gmInputs(kernel, x, means, logVar, labels, p);
      const [loss, L] = b.output(kernel, 1), [logits, Z] = b.output(kernel, p.n * p.k);
      const [logSumExp, S] = b.output(kernel, p.n), [prediction, P] = b.output<Int32Array>(kernel, p.n, 'int32');
      const [score, C] = b.output(kernel, p.n);
      gmForwardFloat32(kernels, inputs, p, { loss: L, logits: Z, logSumExp: S, prediction: P, score: C });
      return { loss, logits, logSumExp, prediction, score };
    },

    gmBackward(x: Storage, means: Storage, logVar: Storage | null, labels: Storage, logSumExp: Storage, gradLoss: Storage, p: GMLossParams) {
      if (!allFloat32(x, means, logVar)) return ref.gmBackward!(x, means, logVar, labels, logSumExp, gradLoss, p);
      const kernel = name('gmBackward');
      const inputs = gmInputs(kernel, x, means, logVar, labels, p);
      const L = f32(kernel, 'logSumExp', logSumExp), G = f32(kernel, 'gradLoss', gradLoss);
      checks.gmBackwardExtras(kernel, x, logSumExp, gradLoss, p);
      const [dx, DX] = b.output(kernel, p.n * p.d), [dMeans, DM] = b.output(kernel, p.k * p.d);
      const dLogVar = logVar ? b.output(kernel, p.k * p.d) : null;
      gmBackwardFloat32(kernels, inputs, p, L, G[0]!, { dx: DX, dMeans: DM, dLogVar: dLogVar?.[1] ?? null });
      return dLogVar ? { dx, dMeans, dLogVar: dLogVar[0] } : { dx, dMeans };
    },

    batchNormForward(x: Storage, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      if (!allFloat32(x, weight, bias)) return ref.batchNormForward!(x, weight, bias, p);
      const kernel = name('batchNormForward');
      const X = f32(kernel, 'x', x);
      const W = weight && f32(kernel, 'weight', weight), B = bias && f32(kernel, 'bias', bias);
      checks.batchNorm(kernel, x, [['weight', weight], ['bias', bias]], p);
      const [out, O] = b.output(kernel, x.size), [mean, M] = b.output(kernel, p.c), [variance, V] = b.output(kernel, p.c);
      kernels.batchNormForwardInto(X, W, B, O, M, V, p);
      return { out, mean, variance };
    },

    batchNormBackward(dy: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null, p: BatchNormParams) {
      if (!allFloat32(dy, x, mean, variance, weight)) return ref.batchNormBackward!(dy, x, mean, variance, weight, p);
      const kernel = name('batchNormBackward');
      const D = f32(kernel, 'dy', dy), X = f32(kernel, 'x', x), M = f32(kernel, 'mean', mean), V = f32(kernel, 'variance', variance);
      const W = weight && f32(kernel, 'weight', weight);
      checks.batchNorm(kernel, x, [['mean', mean], ['variance', variance], ['weight', weight]], p, [['dy', dy]]);
      const [dx, DX] = b.output(kernel, x.size), [dWeight, DW] = b.output(kernel, p.c), [dBias, DB] = b.output(kernel, p.c);
      kernels.batchNormBackwardInto(D, X, M, V, W, DX, DW, DB, p);
      return { dx, dWeight, dBias };
    },

    batchNormReluForward(x: Storage, residual: Storage | null, weight: Storage | null, bias: Storage | null, p: BatchNormParams) {
      if (!allFloat32(x, residual, weight, bias)) return ref.batchNormReluForward!(x, residual, weight, bias, p);
      const kernel = name('batchNormReluForward');
      const X = f32(kernel, 'x', x), R = residual && f32(kernel, 'residual', residual);
      const W = weight && f32(kernel, 'weight', weight), B = bias && f32(kernel, 'bias', bias);
      checks.batchNorm(kernel, x, [['weight', weight], ['bias', bias]], p, residual ? [['residual', residual]] : []);
      const [out, O] = b.output(kernel, x.size), [mean, M] = b.output(kernel, p.c), [variance, V] = b.output(kernel, p.c);
      batchNormReluForwardInto(kernels, X, R, W, B, O, M, V, p);
      return { out, mean, variance };
    },

    batchNormReluBackward(g: Storage, out: Storage, x: Storage, mean: Storage, variance: Storage, weight: Storage | null,
      p: BatchNormParams, residualGrad: boolean) {
      if (!allFloat32(g, out, x, mean, variance, weight)) return ref.batchNormReluBackward!(g, out, x, mean, variance, weight, p, residualGrad);
      const kernel = name('batchNormReluBackward');
      const G = f32(kernel, 'g', g), O = f32(kernel, 'out', out), X = f32(kernel, 'x', x);
      const M = f32(kernel, 'mean', mean), V = f32(kernel, 'variance', variance), W = weight && f32(kernel, 'weight', weight);
      checks.batchNorm(kernel, x, [['mean', mean], ['variance', variance], ['weight', weight]], p, [['g', g], ['out', out]]);
      const [dx, DX] = b.output(kernel, x.size), [dWeight, DW] = b.output(kernel, p.c), [dBias, DB] = b.output(kernel, p.c);
      const [dResidual, DR] = residualGrad ? b.output(kernel, x.size) : [null, null];
      batchNormReluBackwardInto(kernels, G, O, X, M, V, W, DX, DW, DB, DR, p);
      return { dx, dWeight, dBias, dResidual };
    },

    prelu(x: Storage, weight: Storage, p: PreluParams): Storage {
      if (!allFloat32(x, weight) || x.size < ELEMENTWISE_MIN) return ref.prelu!(x, weight, p);
      const kernel = name('prelu');
      const X = f32(kernel, 'x', x), W = f32(kernel, 'weight', weight);
      checks.prelu(kernel, x, weight, p);
      const [out, O] = b.output(kernel, x.size);
      preluForwardInto(kernels, X, W, O, p);
      return out;
    },

    preluBackward(g: Storage, x: Storage, weight: Storage, p: PreluParams) {
      if (!allFloat32(g, x, weight) || x.size < ELEMENTWISE_MIN) return ref.preluBackward!(g, x, weight, p);
      const kernel = name('preluBackward');
      const G = f32(kernel, 'g', g), X = f32(kernel, 'x', x), W = f32(kernel, 'weight', weight);
      checks.prelu(kernel, x, weight, p, [['g', g]]);
      const [dx, DX] = b.output(kernel, x.size), [dWeight, DW] = b.output(kernel, weight.size);
      preluBackwardInto(kernels, G, X, W, DX, DW, p);
      return { dx, dWeight };
    },

    reluBackward(g: Storage, y: Storage): Storage {
      if (!allFloat32(g, y) || y.size < ELEMENTWISE_MIN) return ref.reluBackward!(g, y);
      const kernel = name('reluBackward');
      const G = f32(kernel, 'g', g), Y = f32(kernel, 'y', y);
      checks.reluBackward(kernel, g, y);
      const [out, O] = b.output(kernel, y.size);
      const flat = { shape: [y.size], strides: [1], offset: 0 };
      kernels.binaryInto(RELU_BACKWARD_AS_BINARY, O, flat.shape, G, flat, Y, flat);
      return out;
    },

    linfStep: ref.linfStep!,

    sgdStep(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams): void {
      if (!allFloat32(param, grad, momentumBuf) || param.size < ELEMENTWISE_MIN) return ref.sgdStep!(param, grad, momentumBuf, p);
      const kernel = name('sgdStep');
      const P = f32(kernel, 'param', param), G = f32(kernel, 'grad', grad), B = momentumBuf && f32(kernel, 'momentumBuf', momentumBuf);
      checks.update(kernel, param, momentumBuf ? [['grad', grad], ['momentumBuf', momentumBuf]] : [['grad', grad]]);
      kernels.sgdStepInto(P, G, B, p);
    },

    adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams): void {
      if (!allFloat32(param, grad, m, v) || param.size < ELEMENTWISE_MIN) return ref.adamStep!(param, grad, m, v, p);
      const kernel = name('adamStep');
      const P = f32(kernel, 'param', param), G = f32(kernel, 'grad', grad), M = f32(kernel, 'm', m), V = f32(kernel, 'v', v);
      checks.adamStep(kernel, p.step);
      checks.update(kernel, param, [['grad', grad], ['m', m], ['v', v]]);
      kernels.adamStepInto(P, G, M, V, p);
    },
  };
}
