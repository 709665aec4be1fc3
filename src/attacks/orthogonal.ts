/**
 * Orthogonal and selective PGD (Bryniarski, Hingun, Pachuca, Wang & Carlini 2021, "Evading
 * adversarial example detection defenses with orthogonal projected gradient descent", arXiv
 * 2106.15023). Two constraints: the classifier's (misclassified; with κ, margin >= κ) and the
 * detector's (accepted). Per sample and step, with g_c the gradient of the classifier objective
 * (margin or CE, ascended) and g_d the gradient of −s (s the evasion score of context.ts, descended):
 * - orthogonal: not yet misclassified → g_c − proj_{g_d} g_c (a step that, to first order, leaves
 *   the detector score unchanged); misclassified → g_d − proj_{g_c} g_d (leaves the classification
 *   unchanged), as the authors' code does (the detector step is taken whenever misclassified);
 * - selective: only the gradient of the constraint not yet satisfied: g_c, else g_d.
 * proj_b a = (a·b / (‖b‖² + 1e-20))·b per sample (the authors' floor). Then sign (L∞) or
 * g/‖g‖₂ (L2) steps, projection, clip. The best iterate per sample is the successful one with the
 * lowest detector score, as in the authors' code.
 */
import type { Tensor } from '../core/tensor.js';
import { div, gt, mul, sub, where } from '../ops/binary.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { affine, square } from '../ops/unary.js';
import { detectorScore, evasionScore, type AttackContext } from './context.js';
import { DetectorAwarePGD, detachOutputs, type DetectorAwarePGDOptions, type StepDirection } from './detector-aware-pgd.js';
import { inputGradient } from './gradient.js';
import { checkLossSupported, evaluateObjective, LOSS_NAMES, marginObjective, type LossName } from './losses.js';
import { forwardPass, type AttackModel, type ForwardOutputs } from './model.js';
import { sampleAxes } from './steps.js';
import { checkNonNegative, checkOneOf } from './validate.js';

/** a − (a·b / (‖b‖² + 1e-20))·b per sample (row of [N, ...]): the part of a orthogonal to b */
export function orthogonalComponent(a: Tensor, b: Tensor): Tensor {
  const axes = sampleAxes(a);
  const coefficient = div(sum(mul(a, b), axes, true), affine(sum(square(b), axes, true), 1, 1e-20));
  return sub(a, mul(coefficient, b));
}

/** per sample: whenSatisfied where satisfied[i] = 1, else whenUnsatisfied */
export function pickPerSample(satisfied: Tensor, whenUnsatisfied: Tensor, whenSatisfied: Tensor): Tensor {
  const wide = reshape(satisfied, whenSatisfied.shape.map((d, i) => (i === 0 ? d : 1)));
  return where(wide, whenSatisfied, whenUnsatisfied);
}

export interface OrthogonalPGDOptions extends DetectorAwarePGDOptions {
  /** the classifier objective: 'margin' (default), 'ce' or 'gm' */
  loss?: LossName;
  /**
   * the classifier constraint counts as met for the choice of the step only once the logit margin
   * exceeds κ + switchMargin (default 0; the authors' code adds 0.05 to the true logit). The
   * detector steps hold the margin where the switch happened, so where acceptance starts only at a
   * larger margin (a wrong class's acceptance region lies well inside it) raise this
   */
  switchMargin?: number;
}

abstract class TwoConstraintPGD extends DetectorAwarePGD {
  readonly loss: LossName;
  readonly switchMargin: number;

  protected constructor(options: OrthogonalPGDOptions, name: string) {
    super(options, name);
    this.loss = options.loss === undefined ? 'margin' : checkOneOf(name, 'loss', options.loss, LOSS_NAMES);
    this.switchMargin = options.switchMargin === undefined ? 0 : checkNonNegative(name, 'switchMargin', options.switchMargin);
  }

  /** 1 where the step should serve the detector: margin > κ + switchMargin (>= when κ > 0) */
  #switched(ctx: AttackContext, out: ForwardOutputs): Tensor {
    if (this.switchMargin === 0) return this.classifierSatisfied(ctx, out);
    const margin = marginObjective(out.logits, ctx.labels, ctx.targets);
    return gt(margin, this.kappa + this.switchMargin);
  }

  protected override checkModel(model: AttackModel): void {
    checkLossSupported(this.name, this.loss, model);
  }

  /** combine the two gradients given which samples already satisfy the classifier constraint */
  protected abstract combine(classifierGradient: Tensor, detectorGradient: Tensor, satisfied: Tensor): Tensor;

  protected stepDirection(ctx: AttackContext, x: Tensor): StepDirection {
    let outputs: ForwardOutputs | null = null;
    const gc = inputGradient((xi) => {
      const out = forwardPass(ctx.model, xi);
      outputs = detachOutputs(out);
      return evaluateObjective({ loss: this.loss }, ctx.model, out, ctx.labels, ctx.targets);
    }, x);
    const gd = inputGradient((xi) => affine(evasionScore(ctx, forwardPass(ctx.model, xi)), -1, 0), x);
    const seen = outputs as ForwardOutputs | null;
    if (!seen) throw new Error(`${this.name}: internal error, no forward outputs recorded`);
    return { direction: this.combine(gc, gd, this.#switched(ctx, seen)), outputs: seen };
  }

  /** the lowest detector score first (the authors' choice among successful iterates) */
  protected rankObjective(ctx: AttackContext, out: ForwardOutputs): Tensor {
    return affine(detectorScore(ctx, out), -1, 0);
  }
}

export class OrthogonalPGD extends TwoConstraintPGD {
  constructor(options: OrthogonalPGDOptions) {
    super(options, options.norm === 'l2' ? 'Orthogonal-PGD-L2' : 'Orthogonal-PGD');
  }

  withEpsilon(epsilon: number): OrthogonalPGD {
    return new OrthogonalPGD({ ...(this.options as OrthogonalPGDOptions), epsilon });
  }

  protected combine(gc: Tensor, gd: Tensor, satisfied: Tensor): Tensor {
    return pickPerSample(satisfied, orthogonalComponent(gc, gd), orthogonalComponent(gd, gc));
  }
}

export class SelectivePGD extends TwoConstraintPGD {
  constructor(options: OrthogonalPGDOptions) {
    super(options, options.norm === 'l2' ? 'Selective-PGD-L2' : 'Selective-PGD');
  }

  withEpsilon(epsilon: number): SelectivePGD {
    return new SelectivePGD({ ...(this.options as OrthogonalPGDOptions), epsilon });
  }

  protected combine(gc: Tensor, gd: Tensor, satisfied: Tensor): Tensor {
    return pickPerSample(satisfied, gc, gd);
  }
}
