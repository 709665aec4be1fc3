/** Stochastic gradient descent with momentum, Nesterov and weight decay (PyTorch semantics). */
import type { Tensor } from '../core/tensor.js';
import { sgdStep } from '../ops/optimizer-steps.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

export class SGD extends Optimizer<SgdHyper> {
  constructor(params: Tensor[] | ParamGroupInput<SgdHyper>[], o: Partial<SgdHyper> & { lr: number }) {
    const hyper: SgdHyper = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...o };
    if (!(hyper.lr >= 0)) throw new Error(`SGD: lr must be >= 0, got ${hyper.lr}`);
    if (!(hyper.momentum >= 0 && hyper.momentum <= 1)) throw new Error(`SGD: momentum must be in [0, 1], got ${hyper.momentum}`);
    if (!(hyper.dampening >= 0 && hyper.dampening <= 1)) throw new Error(`SGD: dampening must be in [0, 1], got ${hyper.dampening}`);
    if (!(hyper.weightDecay >= 0)) throw new Error(`SGD: weightDecay must be >= 0, got ${hyper.weightDecay}`);
    if (hyper.nesterov && (hyper.momentum <= 0 || hyper.dampening !== 0)) throw new Error('SGD: Nesterov momentum needs momentum > 0 and dampening 0');
    super(params, hyper);
  }

  protected update(p: Tensor, grad: Tensor, h: SgdHyper, lrScale: number): void {
    const firstStep = h.momentum !== 0 && !this.hasState(p, 'momentum_buffer');
    const buf = h.momentum !== 0 ? this.stateFor(p, 'momentum_buffer') : null;
    sgdStep(p, grad, buf, {
      lr: h.lr * lrScale, momentum: h.momentum, dampening: h.dampening, weightDecay: h.weightDecay, nesterov: h.nesterov, firstStep,
    });
  }
}
