/**
 * The same network in TF.js: a gmgrad Classifier is walked module by module (Sequential, Conv2d,
 * ReLU, PReLU, MaxPool2d, Flatten, Linear, BatchNorm2d, AdaptiveAvgPool2d(1), the ResNet-20
 * blocks) and rebuilt from tfjs-core ops in NHWC, with its weights copied in the TF.js layouts.
 * The two forward passes therefore compute the same function from the same weights, which the
 * benchmarks check (loss of the first two training steps, the attack's input gradient).
 * A module the walker does not know is an error naming it: the benchmark must never time a
 * different architecture.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Classifier, Module, Tensor } from '../../src/index.js';
import { flattenedLinearToDense, oihwToHwio, transpose2d } from './data.js';
import type { Conv2dFn } from './tfjs-conv.js';
import { crossEntropyTf, gmLogitsTf, gmLossTf } from './tfjs-gm.js';
import type { Tf } from './tfjs.js';

type Fn = (x: TF.Tensor, training: boolean) => TF.Tensor;

/** activation shape while walking: [C, H, W] for images, [F] after a flatten */
interface Walk { shape: number[]; flattenedFrom: [number, number, number] | null }

export interface TfClassifier {
  /** trainable weights by gmgrad parameter name */
  variables: Map<string, TF.Variable>;
  /** batch-norm running statistics by gmgrad buffer name */
  buffers: Map<string, TF.Variable>;
  /** training loss (GM with margin, or cross-entropy) of a batch: NHWC images, one-hot labels */
  loss(x: TF.Tensor4D, oneHot: TF.Tensor2D): TF.Scalar;
  /** logits without margin, eval mode (what attacks differentiate) */
  logits(x: TF.Tensor4D): TF.Tensor2D;
  dispose(): void;
}

interface Loaded { name: string; data: Float32Array; shape: number[] }

async function readAll(pairs: [string, Tensor][]): Promise<Map<string, Loaded>> {
  const out = new Map<string, Loaded>();
  for (const [name, t] of pairs) {
    if (t.dtype !== 'float32') continue; // num_batches_tracked
    out.set(name, { name, data: Float32Array.from(await t.data() as ArrayLike<number>), shape: [...t.shape] });
  }
  return out;
}

export async function tfClassifierFrom(tf: Tf, conv2d: Conv2dFn, model: Classifier): Promise<TfClassifier> {
  const params = await readAll(model.namedParameters());
  const bufs = await readAll(model.namedBuffers());
  const variables = new Map<string, TF.Variable>();
  const buffers = new Map<string, TF.Variable>();
  const take = (name: string, convert: (p: Loaded) => { data: Float32Array; shape: number[] } = (p) => p): TF.Variable => {
    const p = params.get(name);
    if (!p) throw new Error(`tfjs model: gmgrad parameter '${name}' not found`);
    const c = convert(p);
    const v = tf.variable(tf.tensor(c.data, c.shape), true);
    variables.set(name, v);
    return v;
  };
  const buffer = (name: string): TF.Variable => {
    const b = bufs.get(name);
    if (!b) throw new Error(`tfjs model: gmgrad buffer '${name}' not found`);
    const v = tf.variable(tf.tensor(b.data, b.shape), false);
    buffers.set(name, v);
    return v;
  };
  const has = (name: string) => params.has(name);

  function walk(m: Module, prefix: string, w: Walk): Fn {
    const kind = m.constructor.name;
    const any = m as unknown as Record<string, unknown>;
    switch (kind) {
      case 'Sequential': {
        const fns = m.children().map(([n, c]) => walk(c, `${prefix}${n}.`, w));
        return (x, t) => fns.reduce((y, f) => f(y, t), x);
      }
      case 'Conv2d': {
        const o = any.options as { stride?: number | number[]; padding?: unknown; dilation?: number | number[]; groups?: number };
        const wp = params.get(`${prefix}weight`)!;
        const [outC, , kh, kw] = wp.shape as [number, number, number, number];
        const stride = scalarOption(o.stride, 1, `${prefix}stride`);
        const pad = o.padding === undefined ? 0 : scalarOption(o.padding, 0, `${prefix}padding`);
        if (scalarOption(o.dilation, 1, 'dilation') !== 1 || (o.groups ?? 1) !== 1 || kh !== kw) {
          throw new Error(`tfjs model: ${prefix} needs square kernels, dilation 1 and groups 1`);
        }
        const filter = take(`${prefix}weight`, (p) => ({ data: oihwToHwio(p.data, outC, p.shape[1]!, kh, kw), shape: [kh, kw, p.shape[1]!, outC] }));
        const bias = has(`${prefix}bias`) ? take(`${prefix}bias`) : null;
        const [, h, wd] = w.shape as [number, number, number];
        w.shape = [outC, Math.floor((h + 2 * pad - kh) / stride) + 1, Math.floor((wd + 2 * pad - kw) / stride) + 1];
        return (x) => {
          const y = conv2d(x as TF.Tensor4D, filter as TF.Tensor4D, stride, pad);
          return bias ? tf.add(y, bias) : y;
        };
      }
      case 'ReLU':
        return (x) => tf.relu(x);
      case 'PReLU': {
        const a = take(`${prefix}weight`);
        return (x) => tf.prelu(x, a);
      }
      case 'MaxPool2d': {
        const k = scalarOption(any.kernelSize, 2, `${prefix}kernelSize`);
        const po = (any.options ?? {}) as { stride?: number; padding?: number };
        if ((po.stride !== undefined && po.stride !== k) || (po.padding ?? 0) !== 0) throw new Error(`tfjs model: ${prefix} MaxPool2d needs stride = kernel and no padding`);
        const [c, h, wd] = w.shape as [number, number, number];
        w.shape = [c, Math.floor(h / k), Math.floor(wd / k)];
        return (x) => tf.maxPool(x as TF.Tensor4D, k, k, 'valid');
      }
      case 'AdaptiveAvgPool2d': {
        if (scalarOption(any.outputSize, 1, `${prefix}outputSize`) !== 1) throw new Error(`tfjs model: ${prefix} only AdaptiveAvgPool2d(1)`);
        w.shape = [w.shape[0]!, 1, 1];
        return (x) => tf.mean(x, [1, 2], true);
      }
      case 'Flatten': {
        const [c, h, wd] = w.shape as [number, number, number];
        w.flattenedFrom = h * wd > 1 ? [c, h, wd] : null;
        w.shape = [c * h * wd];
        return (x) => tf.reshape(x, [x.shape[0]!, -1]);
      }
      case 'Linear': {
        const from = w.flattenedFrom;
        w.flattenedFrom = null;
        const kernel = take(`${prefix}weight`, (p) => {
          const [out, inF] = p.shape as [number, number];
          return from
            ? { data: flattenedLinearToDense(p.data, out, ...from), shape: [inF, out] }
            : { data: transpose2d(p.data, out, inF), shape: [inF, out] };
        });
        const bias = has(`${prefix}bias`) ? take(`${prefix}bias`) : null;
        w.shape = [kernel.shape[1]!];
        return (x) => {
          const y = tf.matMul(x as TF.Tensor2D, kernel as TF.Tensor2D);
          return bias ? tf.add(y, bias) : y;
        };
      }
      case 'BatchNorm2d':
        return batchNorm(m, prefix);
      case 'BasicBlock': {
        const children = new Map(m.children());
        const sub = (n: string, ww: Walk) => walk(children.get(n)!, `${prefix}${n}.`, ww);
        const input: Walk = { shape: [...w.shape], flattenedFrom: null };
        const c1 = sub('conv1', w), b1 = sub('bn1', w), c2 = sub('conv2', w), b2 = sub('bn2', w);
        const sc = children.has('shortcut') ? sub('shortcut', input) : null;
        return (x, t) => tf.relu(tf.add(b2(c2(tf.relu(b1(c1(x, t), t)), t), t), sc ? sc(x, t) : x));
      }
      case 'ResNet20': {
        // conv1 → bn1 → relu, the three stages, global average pool, flatten, optional projection
        const children = new Map(m.children());
        const sub = (n: string) => walk(children.get(n)!, `${prefix}${n}.`, w);
        const stem = [sub('conv1'), sub('bn1')];
        const stages = ['layer1', 'layer2', 'layer3'].map((n) => {
          if (!children.has(n)) throw new Error(`tfjs model: ${prefix}${n} missing`);
          return sub(n);
        });
        w.shape = [w.shape[0]!];
        const proj = children.has('proj') ? sub('proj') : null;
        return (x, t) => {
          let y = tf.relu(stem[1]!(stem[0]!(x, t), t));
          for (const s of stages) y = s(y, t);
          y = tf.reshape(tf.mean(y, [1, 2]), [y.shape[0]!, -1]);
          return proj ? proj(y, t) : y;
        };
      }
      default:
        throw new Error(`tfjs model: no TF.js translation for module ${prefix || '(root)'} of type ${kind}`);
    }
  }

  function batchNorm(m: Module, prefix: string): Fn {
    const o = ((m as unknown as { o?: { varianceEpsilon?: number; momentum?: number } }).o) ?? {};
    const eps = o.varianceEpsilon ?? 1e-5, momentum = o.momentum ?? 0.1;
    const gamma = has(`${prefix}weight`) ? take(`${prefix}weight`) : null;
    const beta = has(`${prefix}bias`) ? take(`${prefix}bias`) : null;
    const runMean = buffer(`${prefix}running_mean`), runVar = buffer(`${prefix}running_var`);
    return (x, training) => {
      if (!training) return tf.batchNorm(x as TF.Tensor4D, runMean, runVar, beta ?? undefined, gamma ?? undefined, eps);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      // running statistics as PyTorch (unbiased variance), outside the gradient
      const count = x.size / x.shape[3]!;
      tf.tidy(() => {
        runMean.assign(tf.add(tf.mul(runMean, 1 - momentum), tf.mul(mean, momentum)));
        runVar.assign(tf.add(tf.mul(runVar, 1 - momentum), tf.mul(variance, momentum * count / (count - 1))));
      });
      return tf.batchNorm(x as TF.Tensor4D, mean, variance, beta ?? undefined, gamma ?? undefined, eps);
    };
  }

  const [c, h, wd] = model.meta.inputShape as [number, number, number];
  const backbone = walk(model.backbone, 'backbone.', { shape: [c, h, wd], flattenedFrom: null });
  const head = model.head as unknown as Module & { margin?: number; lambda?: number; likelihood?: string; diagonal?: boolean };
  let loss: TfClassifier['loss'];
  let logits: TfClassifier['logits'];
  if (head.constructor.name === 'GMHead') {
    if (head.diagonal || head.likelihood !== 'true-class') throw new Error(`tfjs model: only the identity-covariance 'true-class' GM head is translated (got likelihood ${head.likelihood}, diagonal ${head.diagonal})`);
    const means = take('head.means');
    const alpha = head.margin ?? 0, lambda = head.lambda ?? 0;
    loss = (x, y) => gmLossTf(tf, backbone(x, true) as TF.Tensor2D, means as TF.Tensor2D, y, alpha, lambda);
    logits = (x) => gmLogitsTf(tf, backbone(x, false) as TF.Tensor2D, means as TF.Tensor2D);
  } else {
    const w: Walk = { shape: [model.meta.featureDim], flattenedFrom: null };
    const linear = walk(head, 'head.', w);
    loss = (x, y) => crossEntropyTf(tf, linear(backbone(x, true), true) as TF.Tensor2D, y);
    logits = (x) => linear(backbone(x, false), false) as TF.Tensor2D;
  }
  const unused = [...params.keys()].filter((n) => !variables.has(n));
  if (unused.length) throw new Error(`tfjs model: gmgrad parameters not translated: ${unused.join(', ')}`);
  return {
    variables, buffers, loss, logits,
    dispose() { for (const v of [...variables.values(), ...buffers.values()]) v.dispose(); },
  };
}

function scalarOption(v: unknown, fallback: number, what: string): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && v[0] === v[1] && typeof v[0] === 'number') return v[0];
  throw new Error(`tfjs model: ${what} = ${JSON.stringify(v)} is not a single number`);
}
