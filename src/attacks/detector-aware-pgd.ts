/**
 * The loop shared by the detector-aware PGD variants (nearest wrong class, orthogonal, selective,
 * high confidence): restarts × steps of x' ← clip(Π_ε(x' + α·dir(d))) for the direction d the
 * variant computes, keeping per sample the best iterate (successful first, then the variant's
 * ranking objective). Success: misclassified (or on target) and accepted by the detector, and with
 * κ > 0 also a logit margin of at least κ (high confidence).
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { ge, gt, mul } from '../ops/binary.js';
import { tensor } from '../ops/creation.js';
import { clone, detach } from '../ops/shape.js';
import { resolveDetectorTerm, type DetectorAwareOptions } from './adaptive.js';
import type { AttackResult, PerturbOutput, RunOptions } from './attack.js';
import { successMask, type AttackContext, type DetectorTerm } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { marginObjective } from './losses.js';
import { forwardPass, withEvalMode, type AttackModel, type ForwardOutputs } from './model.js';
import { randomStart } from './random-start.js';
import { iterateKeepingBest, keepWorstCase, type Candidate } from './restarts.js';
import { ascentStep, type Norm } from './steps.js';
import { checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from './validate.js';

export interface DetectorAwarePGDOptions extends EpsilonAttackOptions, DetectorAwareOptions {
  /** 'linf' (default) or 'l2' */
  norm?: Norm;
  /** step size (default 2.5·ε/steps) */
  alpha?: number;
  /** iterations per restart (default 10) */
  steps?: number;
  /** start uniformly inside the ε-ball (default true) */
  randomStart?: boolean;
  /** independent runs, keeping the per-sample worst case (default 1) */
  restarts?: number;
  /** confidence κ: success (and the classifier constraint) needs a logit margin >= κ (default 0: misclassified) */
  kappa?: number;
}

/** One step's ascent direction and the detached outputs at the current iterate (for bookkeeping). */
export interface StepDirection {
  direction: Tensor;
  outputs: ForwardOutputs;
}

/**
 * Detached copies that survive the gradient's scope (kept: valueAndGrad frees its intermediates);
 * the loop disposes them once the iterate is assessed.
 */
export function detachOutputs(out: ForwardOutputs): ForwardOutputs {
  return { logits: keep(detach(out.logits)), features: out.features ? keep(detach(out.features)) : null };
}

export abstract class DetectorAwarePGD extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly alpha: number;
  readonly steps: number;
  readonly randomStart: boolean;
  readonly restarts: number;
  readonly kappa: number;

  protected constructor(readonly options: DetectorAwarePGDOptions, name: string) {
    super(name, options);
    this.name = name;
    this.norm = options.norm === undefined ? 'linf' : checkOneOf(name, 'norm', options.norm, ['linf', 'l2'] as const);
    this.steps = options.steps === undefined ? 10 : checkPositiveInt(name, 'steps', options.steps);
    this.alpha = options.alpha === undefined ? 2.5 * this.epsilon / this.steps : checkPositive(name, 'alpha', options.alpha);
    this.randomStart = options.randomStart ?? true;
    this.restarts = options.restarts === undefined ? 1 : checkPositiveInt(name, 'restarts', options.restarts);
    this.kappa = options.kappa === undefined ? 0 : checkNonNegative(name, 'kappa', options.kappa);
    if (options.detectorWeight !== undefined) checkNonNegative(name, 'detectorWeight', options.detectorWeight);
  }

  override get progressSteps(): number { return this.restarts * this.steps; }

  protected override detectorTerm(model: AttackModel): DetectorTerm {
    return resolveDetectorTerm(this.name, model, this.options);
  }

  /** the ascent direction at x (differentiating as it needs) and the outputs at x */
  protected abstract stepDirection(ctx: AttackContext, x: Tensor): StepDirection;

  /** per sample, higher = a better adversarial among equally successful ones */
  protected abstract rankObjective(ctx: AttackContext, out: ForwardOutputs): Tensor;

  /** 1 where the classifier constraint holds: margin > 0 (misclassified / on target), or >= κ when κ > 0 */
  protected classifierSatisfied(ctx: AttackContext, out: ForwardOutputs): Tensor {
    const margin = marginObjective(out.logits, ctx.labels, ctx.targets);
    return this.kappa > 0 ? ge(margin, this.kappa) : gt(margin, 0);
  }

  /** misclassified and accepted (successMask), and the margin reaches κ */
  protected success(ctx: AttackContext, out: ForwardOutputs): Tensor {
    const s = successMask(ctx, out);
    return this.kappa > 0 ? mul(s, this.classifierSatisfied(ctx, out)) : s;
  }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    let best: Candidate | null = null;
    for (let r = 0; r < this.restarts; r++) {
      const start = keep(tidy(() => (this.randomStart ? randomStart(ctx.x, this.epsilon, this.norm, ctx.generator) : clone(ctx.x))));
      const candidate = this.#iterate(ctx, start);
      best = best ? keepWorstCase(best, candidate) : candidate;
    }
    best!.success.dispose();
    best!.objective.dispose();
    return { adversarial: best!.x };
  }

  #assess(ctx: AttackContext, x: Tensor, out: ForwardOutputs): Candidate {
    return { x, success: keep(this.success(ctx, out)), objective: keep(this.rankObjective(ctx, out)) };
  }

  #iterate(ctx: AttackContext, start: Tensor): Candidate {
    return iterateKeepingBest(ctx, start, this.steps, (cur) => {
      let seen: Candidate | null = null;
      const next = keep(tidy(() => {
        const { direction, outputs } = this.stepDirection(ctx, cur);
        try {
          seen = noGrad(() => this.#assess(ctx, keep(detach(cur)), outputs));
        } finally {
          outputs.logits.dispose();
          outputs.features?.dispose();
        }
        return ascentStep(cur, ctx.x, direction, this.alpha, this.epsilon, this.norm);
      }));
      return { next, seen: seen as Candidate | null };
    }, (last) => tidy(() => noGrad(() => this.#assess(ctx, last, forwardPass(ctx.model, last)))));
  }

  /** As Attack.run; with κ > 0 a success also needs the logit margin to reach κ on the returned input. */
  override async run(model: AttackModel, x: Tensor, labels: Tensor, targets?: Tensor, options: RunOptions = {}): Promise<AttackResult> {
    const result = await super.run(model, x, labels, targets, options);
    if (this.kappa === 0) return result;
    const margins = await withEvalMode(model, async () => {
      const m = tidy(() => noGrad(() => {
        const t = result.targets ? tensor(result.targets, { dtype: 'int32', shape: [result.targets.length], backend: labels.backend }) : null;
        return marginObjective(forwardPass(model, result.adversarial).logits, labels, t);
      }));
      try {
        return Float64Array.from(await m.data());
      } finally {
        m.dispose();
      }
    });
    result.success = result.success.map((s, i) => s && margins[i]! >= this.kappa);
    return result;
  }
}
