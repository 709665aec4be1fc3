/** The standard layers, PyTorch names and layouts. */
import type { Tensor } from '../core/tensor.js';
import { full, ones, zeros } from '../ops/creation.js';
import type { Conv2dOptions } from '../ops/conv.js';
import { assignInPlace } from '../ops/assign.js';
import { batchNorm, type BatchNormOptions } from '../ops/batch-norm.js';
import { batchNormRelu } from '../ops/batch-norm-relu.js';
import { tidy } from '../core/scope.js';
import { conv2dFused, fusesEpilogues, linearFused, type BatchNormEval } from '../ops/fused.js';
import { dropout, prelu } from '../ops/nn.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pool2dOptions } from '../ops/pool.js';
import { flatten, reshape } from '../ops/shape.js';
import { relu } from '../ops/unary.js';
import { add, div, sub } from '../ops/binary.js';
import { Module } from './module.js';
import { defaultBiasInit, defaultWeightInit, fans, type InitOptions } from './init.js';
import { pair } from '../ops/util.js';
import { tensor } from '../ops/creation.js';

export interface LayerOptions extends InitOptions {
  bias?: boolean;
}

export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: LayerOptions = {}) {
    super();
    this.registerParameter('weight', defaultWeightInit([outFeatures, inFeatures], o));
    this.registerParameter('bias', o.bias === false ? null : defaultBiasInit(outFeatures, inFeatures, o));
  }
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null; }
  forward(x: Tensor): Tensor { return linearFused(x, this.weight, { bias: this.bias }); }
}

export interface Conv2dLayerOptions extends LayerOptions, Conv2dOptions {}

export class Conv2d extends Module {
  readonly options: Conv2dOptions;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], o: Conv2dLayerOptions = {}) {
    super();
    const [kh, kw] = pair(kernelSize);
    const groups = o.groups ?? 1;
    const shape = [outChannels, inChannels / groups, kh, kw];
    this.options = { stride: o.stride, padding: o.padding, dilation: o.dilation, groups };
    this.registerParameter('weight', defaultWeightInit(shape, o));
    this.registerParameter('bias', o.bias === false ? null : defaultBiasInit(outChannels, fans(shape)[0], o));
  }
  get weight(): Tensor { return this.param('weight'); }
  get bias(): Tensor | null { return this.namedParameters().find(([n]) => n === 'bias')?.[1] ?? null; }
  forward(x: Tensor): Tensor { return conv2dFused(x, this.weight, { bias: this.bias }, this.options); }
}

export class BatchNorm2d extends Module {
  constructor(readonly numFeatures: number, readonly o: InitOptions & { varianceEpsilon?: number; momentum?: number; affine?: boolean } = {}) {
    super();
    const opts = { dtype: o.dtype, backend: o.backend };
    if (o.affine !== false) {
      this.registerParameter('weight', ones([numFeatures], opts));
      this.registerParameter('bias', zeros([numFeatures], opts));
    }
    this.registerBuffer('running_mean', zeros([numFeatures], opts));
    this.registerBuffer('running_var', ones([numFeatures], opts));
    // PyTorch stores an int64 counter; int32 here, written as I64 in safetensors
    this.registerBuffer('num_batches_tracked', tensor([0], { dtype: 'int32', backend: o.backend, shape: [] }));
  }
  /** training batches since num_batches_tracked was last written (see syncBuffers) */
  #pendingBatches = 0;
  /** its inference-mode normalisation, for fusing into the convolution before it */
  evalParameters(): BatchNormEval {
    const params = new Map(this.namedParameters());
    return {
      runningMean: this.buffer('running_mean'), runningVar: this.buffer('running_var'),
      weight: params.get('weight') ?? null, bias: params.get('bias') ?? null, varianceEpsilon: this.o.varianceEpsilon ?? 1e-5,
    };
  }
  forward(x: Tensor): Tensor {
    return batchNorm(x, this.#options());
  }
  /**
   * relu(this.forward(x) + residual), a ResNet block's batch norm with the ReLU (and the shortcut's
   * add) after it: one fused kernel each way in training where the backend has them
   */
  forwardRelu(x: Tensor, residual: Tensor | null = null): Tensor {
    return batchNormRelu(x, this.#options(), residual);
  }
  /**
   * num_batches_tracked is written when the buffers are read (state dicts, checkpoints, moves), not
   * on every training step: an upload and a copy per layer and step for a counter only readers see
   */
  protected override syncBuffers(): void {
    if (this.#pendingBatches === 0) return;
    const counter = this.buffer('num_batches_tracked'), pending = this.#pendingBatches;
    this.#pendingBatches = 0;
    tidy(() => assignInPlace(counter, add(counter, tensor([pending], { dtype: 'int32', shape: [], backend: counter.backend }))));
  }
  /** the op's options from this layer's state, counting a training batch */
  #options(): BatchNormOptions {
    if (this.training) this.#pendingBatches++;
    const params = new Map(this.namedParameters());
    return {
      training: this.training,
      runningMean: this.buffer('running_mean'),
      runningVar: this.buffer('running_var'),
      weight: params.get('weight') ?? null,
      bias: params.get('bias') ?? null,
      varianceEpsilon: this.o.varianceEpsilon,
      momentum: this.o.momentum,
    };
  }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | [number, number], readonly options: Pool2dOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.kernelSize, this.options); }
}

export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | [number, number], readonly options: Pool2dOptions = {}) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.kernelSize, this.options); }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number, number]) { super(); }
  forward(x: Tensor): Tensor { return adaptiveAvgPool2d(x, this.outputSize); }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

/** One learnable slope per channel (numParameters = C) or one shared (1); PyTorch init 0.25. */
export class PReLU extends Module {
  constructor(numParameters = 1, init = 0.25, o: InitOptions = {}) {
    super();
    this.registerParameter('weight', full([numParameters], init, { dtype: o.dtype, backend: o.backend }));
  }
  forward(x: Tensor): Tensor { return prelu(x, this.param('weight')); }
}

/**
 * Fixed per-channel input normalisation (x − mean[c]) / std[c] over axis 1, as the first layer of a
 * model that takes images in [0, 1] (torchvision's Normalize, moved into the model so that attacks
 * and their ε stay in pixel space). mean and std are buffers: they travel with the weights.
 */
export class Normalize extends Module {
  /** the constants it was built with (a checkpoint's architecture records them; the buffers hold the same values) */
  readonly constants: { mean: number[]; std: number[] };
  constructor(mean: readonly number[], std: readonly number[], o: InitOptions = {}) {
    super();
    if (mean.length === 0 || mean.length !== std.length) throw new Error(`Normalize: needs one mean and one std per channel, got ${mean.length} means and ${std.length} stds`);
    if (!mean.every(Number.isFinite) || !std.every((s) => s > 0 && Number.isFinite(s))) throw new Error(`Normalize: means must be finite and stds positive, got mean [${mean.join(', ')}], std [${std.join(', ')}]`);
    const opts = { dtype: o.dtype ?? 'float32', backend: o.backend, shape: [mean.length] };
    this.constants = { mean: [...mean], std: [...std] };
    this.registerBuffer('mean', tensor([...mean], opts));
    this.registerBuffer('std', tensor([...std], opts));
  }
  get channels(): number { return this.buffer('mean').size; }
  forward(x: Tensor): Tensor {
    const c = this.channels;
    if (x.rank < 2 || x.shape[1] !== c) throw new Error(`Normalize: expected input [N, ${c}, ...] (${c} channels on axis 1), got [${x.shape.join(', ')}]`);
    const shape = [1, c, ...new Array<number>(x.rank - 2).fill(1)];
    return div(sub(x, reshape(this.buffer('mean'), shape)), reshape(this.buffer('std'), shape));
  }
}

export class Dropout extends Module {
  constructor(readonly p = 0.5) { super(); }
  forward(x: Tensor): Tensor { return dropout(x, this.p, this.training); }
}

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) { super(); }
  forward(x: Tensor): Tensor { return flatten(x, this.startDim, this.endDim); }
}

/** Children named 0, 1, 2, ... as torch.nn.Sequential. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const chain = fusesEpilogues(y) ? epilogueChain(this.layers, i) : null;
      if (chain) {
        y = chain.run(y);
        i += chain.span - 1;
      } else {
        y = this.layers[i]!.forward(y);
      }
    }
    return y;
  }
}

/**
 * Layers from i that run as one fused GEMM (ops/fused.ts): Conv2d → [BatchNorm2d in evaluation
 * mode] → [ReLU], or Linear → ReLU; null when layer i starts no such chain.
 */
function epilogueChain(layers: readonly Module[], i: number): { span: number; run: (x: Tensor) => Tensor } | null {
  const first = layers[i];
  let j = i + 1;
  if (first instanceof Conv2d) {
    const bn = layers[j] instanceof BatchNorm2d && !layers[j]!.training ? (layers[j++] as BatchNorm2d) : null;
    const act = layers[j] instanceof ReLU;
    if (act) j++;
    if (j === i + 1) return null;
    return { span: j - i, run: (x) => conv2dFused(x, first.weight, { bias: first.bias, batchNorm: bn?.evalParameters(), relu: act }, first.options) };
  }
  if (first instanceof Linear && layers[j] instanceof ReLU) {
    return { span: 2, run: (x) => linearFused(x, first.weight, { bias: first.bias, relu: true }) };
  }
  return null;
}
