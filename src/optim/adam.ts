/** Adam and AdamW (decoupled weight decay), PyTorch semantics with bias correction. */
import type { Tensor } from '../core/tensor.js';
import { adamStep } from '../ops/optimizer-steps.js';
import { Optimizer, type ParamGroupInput } from './optimizer.js';

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  /** added to the denominator √v̂ (PyTorch's eps) */
  epsilon: number;
  weightDecay: number;
}

export class Adam extends Optimizer<AdamHyper> {
  protected readonly decoupled: boolean = false;
  readonly #steps = new Map<Tensor, number>();

  constructor(params: Tensor[] | ParamGroupInput<AdamHyper>[], o: Partial<AdamHyper> & { lr?: number } = {}) {
    const hyper: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, ...o };
    const bad = !(hyper.lr >= 0) ? `lr must be >= 0, got ${hyper.lr}`
      : !(hyper.beta1 >= 0 && hyper.beta1 < 1) ? `beta1 must be in [0, 1), got ${hyper.beta1}`
      : !(hyper.beta2 >= 0 && hyper.beta2 < 1) ? `beta2 must be in [0, 1), got ${hyper.beta2}`
      : !(hyper.epsilon > 0) ? `epsilon must be > 0, got ${hyper.epsilon}`
      : !(hyper.weightDecay >= 0) ? `weightDecay must be >= 0, got ${hyper.weightDecay}` : null;
    if (bad) throw new Error(`${new.target.name}: ${bad}`);
    super(params, hyper);
  }

  protected update(p: Tensor, grad: Tensor, h: AdamHyper, lrScale: number): void {
    const step = (this.#steps.get(p) ?? 0) + 1;
    this.#steps.set(p, step);
    const m = this.stateFor(p, 'exp_avg');
    const v = this.stateFor(p, 'exp_avg_sq');
    adamStep(p, grad, m, v, {
      lr: h.lr * lrScale, beta1: h.beta1, beta2: h.beta2, epsilon: h.epsilon, weightDecay: h.weightDecay, decoupled: this.decoupled, step,
    });
  }

  override loadStateDict(sd: { step: number; tensors: Map<string, Tensor> }, upload: (src: Tensor, like: Tensor) => Tensor): void {
    super.loadStateDict(sd, upload);
    for (const g of this.groups) for (const p of g.params) if (this.hasState(p, 'exp_avg')) this.#steps.set(p, sd.step);
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Tensor[] | ParamGroupInput<AdamHyper>[], o: Partial<AdamHyper> & { lr?: number } = {}) {
    super(params, { weightDecay: 1e-2, ...o });
  }
}
