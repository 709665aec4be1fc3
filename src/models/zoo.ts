/**
 * The model zoo: the GM authors' MNIST network, ResNet-20 for CIFAR-10, and smaller CNNs for
 * machines without a GPU (small-cnn, its unpadded variant lenet — the demo's network — and
 * tiny-cnn), each ending in a GM head or a softmax head, optionally behind a fixed per-channel
 * input normalisation (the model takes images in [0, 1], as attacks expect).
 */
import type { GMLikelihood } from '../core/backend.js';
import type { Tensor } from '../core/tensor.js';
import { reshape } from '../ops/shape.js';
import { subsamplePadChannels } from '../ops/subsample-pad.js';
import { GMHead } from '../nn/gm-head.js';
import { kaimingNormal, normalInit, type InitOptions } from '../nn/init.js';
import { assignInPlace } from '../ops/assign.js';
import { zeros } from '../ops/creation.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Normalize, PReLU, ReLU, Sequential,
} from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { Classifier, type InputNormalization } from './classifier.js';

export type ModelName = 'mnist-6conv' | 'small-cnn' | 'lenet' | 'tiny-cnn' | 'resnet20';
export const MODEL_NAMES: ModelName[] = ['mnist-6conv', 'small-cnn', 'lenet', 'tiny-cnn', 'resnet20'];

export interface ModelOptions extends InitOptions {
  head: 'gm' | 'softmax';
  featureDim: number;
  numClasses?: number;
  /** [C, H, W] */
  inputShape: number[];
  /** GM head: the classification margin */
  margin?: number;
  lambda?: number;
  likelihood?: GMLikelihood;
  diagonal?: boolean;
  /** std of the head's initial weights (GM means, or the softmax layer's weight with a zero bias); default: the layer's own */
  headInitStd?: number;
  /** per-channel input normalisation (x − mean)/std inside the model; none when absent */
  normalize?: InputNormalization | null;
}

/**
 * 6 × conv5×5 (32,32,64,64,128,128, pad 2) with PReLU, max-pool after each pair, FC → D. As in the
 * authors' code (jschenthu/GM-Loss mnist/mnist_release.py), each PReLU has one shared slope.
 */
function mnist6conv(o: ModelOptions): Module {
  const [c, h, w] = o.inputShape as [number, number, number];
  const layers: Module[] = [];
  let inC = c;
  [32, 32, 64, 64, 128, 128].forEach((outC, i) => {
    layers.push(new Conv2d(inC, outC, 5, { padding: 2, ...o }), new PReLU(1, 0.25, o));
    if (i % 2 === 1) layers.push(new MaxPool2d(2));
    inC = outC;
  });
  const spatial = Math.floor(Math.floor(Math.floor(h / 2) / 2) / 2) * Math.floor(Math.floor(Math.floor(w / 2) / 2) / 2);
  layers.push(new Flatten(), new Linear(128 * spatial, o.featureDim, o));
  return new Sequential(...layers);
}

/** conv5×5-32, pool, conv5×5-64, pool, fc256, fc → D (ReLU). */
function smallCnn(o: ModelOptions): Module {
  const [c, h, w] = o.inputShape as [number, number, number];
  const spatial = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
  return new Sequential(
    new Conv2d(c, 32, 5, { padding: 2, ...o }), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 5, { padding: 2, ...o }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(64 * spatial, 256, o), new ReLU(), new Linear(256, o.featureDim, o),
  );
}

/**
 * small-cnn's layers with unpadded ("valid") convolutions, as LeNet-5 and TF.js's MNIST example:
 * 28² → 24² → 12² → 8² → 4². A third of small-cnn's arithmetic (24 vs 69 MFLOP per training image).
 */
function lenet(o: ModelOptions): Module {
  const [c, h, w] = o.inputShape as [number, number, number];
  const side = (n: number) => Math.floor((Math.floor((n - 4) / 2) - 4) / 2);
  return new Sequential(
    new Conv2d(c, 32, 5, o), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 5, o), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(64 * side(h) * side(w), 256, o), new ReLU(), new Linear(256, o.featureDim, o),
  );
}

/** conv5×5-8, pool, conv5×5-16, pool, fc64, fc → D: for software adapters, tests and the browser. */
function tinyCnn(o: ModelOptions): Module {
  const [c, h, w] = o.inputShape as [number, number, number];
  const spatial = Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
  return new Sequential(
    new Conv2d(c, 8, 5, { padding: 2, ...o }), new ReLU(), new MaxPool2d(2),
    new Conv2d(8, 16, 5, { padding: 2, ...o }), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(16 * spatial, 64, o), new ReLU(), new Linear(64, o.featureDim, o),
  );
}

/**
 * He et al.'s option-A shortcut, parameter-free: subsample by the stride, then zero-pad the new
 * channels, half before and half after the old ones (F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, p, p))
 * in the authors' CIFAR code, jschenthu/GM-Loss cifar/net.py), so their weights load unchanged.
 */
function optionAShortcut(x: Tensor, stride: number, before: number, after: number): Tensor {
  return stride === 1 && before + after === 0 ? x : subsamplePadChannels(x, stride, before, after);
}

class BasicBlock extends Module {
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d; readonly conv2: Conv2d; readonly bn2: BatchNorm2d;
  /** zero channels padded before/after the input on the shortcut; null: identity */
  readonly shortcut: { stride: number; before: number; after: number } | null;
  constructor(inC: number, outC: number, stride: number, o: InitOptions) {
    super();
    const conv = (i: number, out: number, s: number) => new Conv2d(i, out, 3, { stride: s, padding: 1, bias: false, ...o });
    this.conv1 = this.registerModule('conv1', conv(inC, outC, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outC, o));
    this.conv2 = this.registerModule('conv2', conv(outC, outC, 1));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outC, o));
    if (outC < inC) throw new Error(`resnet20: a block cannot shrink channels (${inC} → ${outC}) with a zero-padding shortcut`);
    const extra = outC - inC;
    this.shortcut = stride !== 1 || extra !== 0 ? { stride, before: Math.floor(extra / 2), after: extra - Math.floor(extra / 2) } : null;
  }
  forward(x: Tensor): Tensor {
    const h = this.bn1.forwardRelu(this.conv1.forward(x));
    const s = this.shortcut;
    // relu(bn2(conv2(h)) + shortcut), the add and the ReLU fused into the batch norm
    return this.bn2.forwardRelu(this.conv2.forward(h), s ? optionAShortcut(x, s.stride, s.before, s.after) : x);
  }
}

/**
 * ResNet-20 (He et al. 2016, CIFAR variant): 3 stages × 3 basic blocks, 16/32/64 channels, option-A
 * shortcuts → 64-d feature (0.27 M parameters). Convolutions start from Kaiming-normal with fan_in
 * (torch.nn.init.kaiming_normal_'s default, what the authors' code applies).
 */
class ResNet20 extends Module {
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly pool = new AdaptiveAvgPool2d(1);
  readonly proj: Linear | null;
  constructor(o: ModelOptions) {
    super();
    const init = { generator: o.generator, dtype: o.dtype, backend: o.backend };
    this.conv1 = this.registerModule('conv1', new Conv2d(o.inputShape[0]!, 16, 3, { padding: 1, bias: false, ...init }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(16, init));
    let inC = 16;
    this.layers = [16, 32, 64].map((c, i) => {
      const blocks = [0, 1, 2].map((b) => {
        const blk = new BasicBlock(inC, c, b === 0 && i > 0 ? 2 : 1, init);
        inC = c;
        return blk;
      });
      return this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    // the authors use the 64-d pooled feature directly; another D adds a projection
    this.proj = o.featureDim === 64 ? null : this.registerModule('proj', new Linear(64, o.featureDim, init));
    for (const [name, p] of this.namedParameters()) {
      if (name.endsWith('weight') && p.rank === 4) {
        const fresh = kaimingNormal(p.shape, { mode: 'fan_in', nonlinearity: 'relu', ...init });
        p.backend.assign(p.storage, { shape: [p.size], strides: [1], offset: 0 }, { storage: fresh.storage, view: { shape: [p.size], strides: [1], offset: 0 } });
        fresh.dispose();
      }
    }
  }
  forward(x: Tensor): Tensor {
    let y = this.bn1.forwardRelu(this.conv1.forward(x));
    for (const l of this.layers) y = l.forward(y);
    y = this.pool.forward(y);
    const flat = reshape(y, [y.shape[0]!, -1]);
    return this.proj ? this.proj.forward(flat) : flat;
  }
}

/** The smallest input height/width each network accepts (its pooling must leave at least 1×1). */
const MIN_SIDE: Record<ModelName, number> = { 'mnist-6conv': 8, 'small-cnn': 4, lenet: 16, 'tiny-cnn': 4, resnet20: 1 };

function checkModelOptions(name: ModelName, o: ModelOptions): void {
  const fail = (msg: string): never => { throw new Error(`createModel('${String(name)}'): ${msg}`); };
  if (!MODEL_NAMES.includes(name)) throw new Error(`createModel: unknown model '${String(name)}' (known: ${MODEL_NAMES.join(', ')})`);
  if (typeof o !== 'object' || o === null) fail('options { head, featureDim, inputShape } are required');
  if (o.head !== 'gm' && o.head !== 'softmax') fail(`head must be 'gm' or 'softmax', got ${JSON.stringify(o.head)}`);
  if (!Number.isSafeInteger(o.featureDim) || o.featureDim < 1) fail(`featureDim must be a positive integer, got ${o.featureDim}`);
  if (o.numClasses !== undefined && (!Number.isSafeInteger(o.numClasses) || o.numClasses < 2)) fail(`numClasses must be an integer >= 2, got ${o.numClasses}`);
  const shape = o.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || shape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    fail(`inputShape must be [channels, height, width] of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (Math.min(shape[1]!, shape[2]!) < MIN_SIDE[name]) fail(`inputs of ${shape[1]}×${shape[2]} are too small; this network needs at least ${MIN_SIDE[name]}×${MIN_SIDE[name]}`);
}

export function createModel(name: ModelName, o: ModelOptions): Classifier {
  checkModelOptions(name, o);
  const numClasses = o.numClasses ?? 10;
  let backbone: Module;
  switch (name) {
    case 'mnist-6conv': backbone = mnist6conv(o); break;
    case 'small-cnn': backbone = smallCnn(o); break;
    case 'lenet': backbone = lenet(o); break;
    case 'tiny-cnn': backbone = tinyCnn(o); break;
    case 'resnet20': backbone = new ResNet20(o); break;
    default: throw new Error(`createModel: unknown model '${name as string}' (known: ${MODEL_NAMES.join(', ')})`);
  }
  const init = { generator: o.generator, dtype: o.dtype, backend: o.backend };
  const std = o.headInitStd;
  if (std !== undefined && !(std > 0)) throw new Error(`createModel: headInitStd must be positive, got ${std}`);
  const head = o.head === 'gm'
    ? new GMHead(o.featureDim, numClasses, { ...init, margin: o.margin, lambda: o.lambda, likelihood: o.likelihood, diagonal: o.diagonal, meanInitStd: std })
    : new Linear(o.featureDim, numClasses, init);
  if (std !== undefined && head instanceof Linear) reinitLinear(head, std, init);
  const normalize = o.normalize ? new Normalize(o.normalize.mean, o.normalize.std, init) : null;
  if (normalize && normalize.channels !== o.inputShape[0]) {
    throw new Error(`createModel: normalize has ${normalize.channels} channel(s) but the input shape [${o.inputShape.join(', ')}] has ${o.inputShape[0]}`);
  }
  return new Classifier(backbone, head, { model: name, featureDim: o.featureDim, numClasses, inputShape: o.inputShape }, normalize);
}

/** A softmax head drawn as the authors draw theirs: weight ~ N(0, std²), bias 0. */
function reinitLinear(layer: Linear, std: number, init: InitOptions): void {
  assignInPlace(layer.weight, normalInit(layer.weight.shape, std, init));
  if (layer.bias) assignInPlace(layer.bias, zeros(layer.bias.shape, { dtype: layer.bias.dtype, backend: layer.bias.backend }));
}
