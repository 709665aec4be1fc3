/**
 * Auto-PGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of
 * diverse parameter-free attacks"): PGD with momentum and a step size that halves on a fixed
 * schedule of checkpoints, restarting from the best point (apgd-run.ts). Losses: cross-entropy,
 * DLR (untargeted) and targeted DLR; threat models L∞, L2 and L1 (the sparse steps and the
 * L1-ball ∩ box projection of Croce & Hein 2021, "Mind the box"). Random restarts keep the
 * per-sample worst case.
 */
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { clone } from '../ops/shape.js';
import type { PerturbOutput } from './attack.js';
import { apgdRun, type APGDIterate, type APGDObjective, type APGDSettings } from './apgd-run.js';
import type { AttackContext } from './context.js';
import { checkDlrClasses, dlrObjective, targetedDlrObjective } from './dlr.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { crossEntropyObjective } from './losses.js';
import { randomStart } from './random-start.js';
import { keepWorstCase, type Candidate } from './restarts.js';
import type { Norm } from './steps.js';
import { AttackConfigError, checkOneOf, checkPositive, checkPositiveInt } from './validate.js';

export const APGD_LOSSES = ['ce', 'dlr', 'dlr-targeted'] as const;
/** ce: cross-entropy; dlr: the difference of logits ratio; dlr-targeted: its targeted form */
export type APGDLoss = (typeof APGD_LOSSES)[number];
export const APGD_NORMS: readonly Norm[] = ['linf', 'l2', 'l1'];

export interface APGDOptions extends EpsilonAttackOptions {
  /** 'linf' (default), 'l2' or 'l1' */
  norm?: Norm;
  /** iterations per restart (default 100) */
  steps?: number;
  /** independent runs from random starts, keeping the per-sample worst case (default 1) */
  restarts?: number;
  /** 'ce' (default), 'dlr', or 'dlr-targeted' (needs targets) */
  loss?: APGDLoss;
  /** ρ of the checkpoint condition 1 (default 0.75) */
  rho?: number;
  /** α of the momentum step (default 0.75) */
  momentum?: number;
  /** the initial step size as a multiple of ε (default 2 for L∞ and L2, 1 for L1) */
  initialStep?: number;
  /** start the first restart at a random point of the ball (default true; later restarts always do) */
  randomStart?: boolean;
  /** L1: the initial fraction of coordinates a step moves (default 0.1) */
  l1Sparsity?: number;
  /** called after every iteration with the iterate, the per-sample step size and objective (inspection, tests) */
  onIterate?: (it: APGDIterate & { restart: number }) => void;
}

function displayName(loss: APGDLoss, norm: Norm): string {
  const base = loss === 'ce' ? 'APGD-CE' : loss === 'dlr' ? 'APGD-DLR' : 'APGD-DLR-T';
  return norm === 'linf' ? base : `${base}-${norm.toUpperCase()}`;
}

export class APGD extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly steps: number;
  readonly restarts: number;
  readonly loss: APGDLoss;
  readonly settings: APGDSettings;
  readonly randomStart: boolean;

  constructor(readonly options: APGDOptions, private readonly customName?: string) {
    const name = customName;
    const n = options?.norm === undefined ? 'linf' : checkOneOf(name ?? 'APGD', 'norm', options.norm, APGD_NORMS);
    const loss = options?.loss === undefined ? 'ce' : checkOneOf(name ?? 'APGD', 'loss', options.loss, APGD_LOSSES);
    const display = name ?? displayName(loss, n);
    super(display, options);
    this.name = display;
    this.norm = n;
    this.loss = loss;
    this.steps = options.steps === undefined ? 100 : checkPositiveInt(display, 'steps', options.steps);
    this.restarts = options.restarts === undefined ? 1 : checkPositiveInt(display, 'restarts', options.restarts);
    this.randomStart = options.randomStart ?? true;
    const rho = options.rho === undefined ? 0.75 : checkPositive(display, 'rho', options.rho);
    const momentum = options.momentum === undefined ? 0.75 : checkPositive(display, 'momentum', options.momentum);
    if (rho > 1) throw new AttackConfigError(`${display}: rho is a fraction of the steps between checkpoints, in (0, 1], got ${rho}`);
    if (momentum > 1) throw new AttackConfigError(`${display}: momentum (α) weighs the new step against the last one, in (0, 1], got ${momentum}`);
    const l1Sparsity = options.l1Sparsity === undefined ? 0.1 : checkPositive(display, 'l1Sparsity', options.l1Sparsity);
    if (l1Sparsity > 1) throw new AttackConfigError(`${display}: l1Sparsity is a fraction of the input's coordinates, in (0, 1], got ${l1Sparsity}`);
    this.settings = {
      norm: n, epsilon: this.epsilon, steps: this.steps, rho, momentum, l1Sparsity,
      initialStep: options.initialStep === undefined ? (n === 'l1' ? 1 : 2) : checkPositive(display, 'initialStep', options.initialStep),
    };
  }

  withEpsilon(epsilon: number): APGD {
    return new APGD({ ...this.options, epsilon }, this.customName);
  }

  override get progressSteps(): number { return this.restarts * this.steps; }

  /** the objective to maximise for `lossTargets` (null: untargeted) */
  protected objectiveFor(ctx: AttackContext, lossTargets: Tensor | null): APGDObjective {
    const targeted = lossTargets !== null;
    if (this.loss === 'dlr' && targeted) {
      throw new AttackConfigError(`${this.name}: loss 'dlr' is untargeted; with targets use loss 'dlr-targeted' (or 'ce')`);
    }
    if (this.loss === 'dlr-targeted' && !targeted) {
      throw new AttackConfigError(`${this.name}: loss 'dlr-targeted' needs targets (target: 'given', 'random' or 'least-likely'), or use 'apgd-t'`);
    }
    if (this.loss !== 'ce') checkDlrClasses(this.name, ctx.numClasses, targeted);
    switch (this.loss) {
      case 'ce': return (out) => crossEntropyObjective(out.logits, ctx.labels, lossTargets);
      case 'dlr': return (out) => dlrObjective(out.logits, ctx.labels);
      case 'dlr-targeted': return (out) => targetedDlrObjective(out.logits, ctx.labels, lossTargets!);
    }
  }

  /** `restarts` runs towards `lossTargets`, merged into `best` (consumed) per sample; returns the merged candidate */
  protected runRestarts(ctx: AttackContext, lossTargets: Tensor | null, best: Candidate | null, restartOffset = 0): Candidate {
    const objective = this.objectiveFor(ctx, lossTargets);
    for (let r = 0; r < this.restarts; r++) {
      const random = this.randomStart || r > 0;
      const start = keep(tidy(() => (random ? randomStart(ctx.x, this.epsilon, this.norm, ctx.generator) : clone(ctx.x))));
      const restart = restartOffset + r;
      const observe = this.options.onIterate ? (it: APGDIterate) => this.options.onIterate!({ ...it, restart }) : undefined;
      const candidate = apgdRun(ctx, this.settings, objective, start, observe);
      best = best ? keepWorstCase(best, candidate) : candidate;
    }
    return best!;
  }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const best = this.runRestarts(ctx, ctx.targets, null);
    best.success.dispose();
    best.objective.dispose();
    return { adversarial: best.x };
  }
}
