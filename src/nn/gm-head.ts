/**
 * The Gaussian-mixture head: K class means in the D-dimensional feature space (and optional
 * diagonal log-variances). Training uses the fused GM loss; prediction is the nearest mean.
 */
import type { GMLikelihood } from '../core/backend.js';
import type { Tensor } from '../core/tensor.js';
import { gmDistances, gmLogits, gmLoss, type GMLossResult } from '../ops/gm.js';
import { full } from '../ops/creation.js';
import { min } from '../ops/reduce.js';
import { Module } from './module.js';
import { normalInit, type InitOptions } from './init.js';

export interface GMHeadOptions extends InitOptions {
  /** classification margin m on the true class (the final value; the trainer may ramp it) */
  margin?: number;
  /** likelihood weight λ */
  lambda?: number;
  likelihood?: GMLikelihood;
  /** learn a diagonal covariance per class (log-parameterised) */
  diagonal?: boolean;
  /** std of the initial means (default 1) */
  meanInitStd?: number;
}

export class GMHead extends Module {
  /** the classification margin (0 outside training) */
  margin: number;
  lambda: number;
  readonly likelihood: GMLikelihood;
  readonly diagonal: boolean;

  constructor(readonly featureDim: number, readonly numClasses: number, o: GMHeadOptions = {}) {
    super();
    this.margin = o.margin ?? 1;
    this.lambda = o.lambda ?? 0.1;
    this.likelihood = o.likelihood ?? 'true-class';
    this.diagonal = o.diagonal ?? false;
    this.registerParameter('means', normalInit([numClasses, featureDim], o.meanInitStd ?? 1, o));
    if (this.diagonal) this.registerParameter('log_var', full([numClasses, featureDim], 0, { dtype: o.dtype, backend: o.backend }));
  }

  get means(): Tensor { return this.param('means'); }
  get logVar(): Tensor | null { return this.diagonal ? this.param('log_var') : null; }

  /** Training loss with margin and likelihood terms (fused kernel). */
  loss(features: Tensor, labels: Tensor): GMLossResult {
    return gmLoss(features, this.means, labels, {
      margin: this.training ? this.margin : 0,
      lambda: this.lambda,
      likelihood: this.likelihood,
      logVar: this.logVar,
    });
  }

  /** Differentiable distances d_k(f) [N, K]. */
  distances(features: Tensor): Tensor { return gmDistances(features, this.means, this.logVar); }

  /** Differentiable logits without margin (what attacks and prediction use). */
  forward(features: Tensor): Tensor { return gmLogits(features, this.means, this.logVar); }

  /** Detection score min_k d_k(f) [N]. */
  score(features: Tensor): Tensor { return min(this.distances(features), -1); }
}
