/**
 * A classifier = an optional fixed input normalisation, a backbone that maps images to
 * D-dimensional features, and a head: the GM head, or a softmax head (a linear layer trained with
 * cross-entropy). It takes images in [0, 1]. Attacks and detectors use this API.
 */
import type { Tensor } from '../core/tensor.js';
import { GMHead } from '../nn/gm-head.js';
import { Linear, Normalize } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { argmax } from '../ops/reduce.js';
import { crossEntropy } from '../ops/nn.js';

export interface StepOutput {
  loss: Tensor;
  /** logits used for accuracy (for GM: training logits with margin) */
  logits: Tensor;
  prediction: Tensor;
  features: Tensor;
}

/** Per-channel statistics of the training images in [0, 1]: the model computes (x − mean)/std first. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

export class Classifier extends Module {
  readonly backbone: Module;
  readonly head: GMHead | Linear;
  /** null: the backbone sees the [0, 1] images as they are */
  readonly normalize: Normalize | null;

  constructor(backbone: Module, head: GMHead | Linear, readonly meta: { model: string; featureDim: number; numClasses: number; inputShape: number[] }, normalize: Normalize | null = null) {
    super();
    // registered first so that the state dict reads input → backbone → head
    this.normalize = normalize ? this.registerModule('normalize', normalize) : null;
    this.backbone = this.registerModule('backbone', backbone);
    this.head = this.registerModule('head', head);
  }

  get isGM(): boolean { return this.head instanceof GMHead; }

  features(x: Tensor): Tensor { return this.backbone.forward(this.normalize ? this.normalize.forward(x) : x); }

  /** logits without any training margin (differentiable in x) */
  forward(x: Tensor): Tensor { return this.head.forward(this.features(x)); }

  /** training loss and outputs for one batch */
  step(x: Tensor, y: Tensor): StepOutput {
    const features = this.features(x);
    if (this.head instanceof GMHead) {
      const r = this.head.loss(features, y);
      return { loss: r.loss, logits: r.logits, prediction: r.prediction, features };
    }
    const logits = this.head.forward(features);
    return { loss: crossEntropy(logits, y), logits, prediction: argmax(logits, 1), features };
  }
}
