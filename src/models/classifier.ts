/**
 * A classifier = a backbone that maps images to D-dimensional features + a head: the GM head, or a
 * softmax head (a linear layer trained with cross-entropy). Attacks and detectors use this API.
 */
import type { Tensor } from '../core/tensor.js';
import { GMHead } from '../nn/gm-head.js';
import { Linear } from '../nn/layers.js';
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

export class Classifier extends Module {
  readonly backbone: Module;
  readonly head: GMHead | Linear;

  constructor(backbone: Module, head: GMHead | Linear, readonly meta: { model: string; featureDim: number; numClasses: number; inputShape: number[] }) {
    super();
    this.backbone = this.registerModule('backbone', backbone);
    this.head = this.registerModule('head', head);
  }

  get isGM(): boolean { return this.head instanceof GMHead; }

  features(x: Tensor): Tensor { return this.backbone.forward(x); }

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
