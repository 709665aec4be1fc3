/**
 * Fixed-ε attacks (FGSM, FGM, BIM, PGD, MIM) and the Foolbox-style call over a list of ε values.
 */
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { Attack, type AttackOptions } from './attack.js';
import type { AttackModel } from './model.js';
import { clipToImage, project, type Norm } from './steps.js';
import { AttackConfigError, checkEpsilon } from './validate.js';

export interface EpsilonAttackOptions extends AttackOptions {
  /** the perturbation budget in the attack's norm, >= 0 */
  epsilon: number;
}

export interface EpsilonResult {
  epsilon: number;
  /** the attack's output */
  raw: Tensor;
  /** raw projected onto the ε-ball around x and clipped to [0, 1] (equal to raw for these attacks, which project every step) */
  clipped: Tensor;
  /** per sample, judged on `clipped` */
  success: boolean[];
}

export abstract class EpsilonAttack extends Attack {
  readonly epsilon: number;
  /** a fixed-ε attack has a ball to project onto: L0 is not one of its norms */
  abstract override readonly norm: Norm;

  protected constructor(attack: string, options: EpsilonAttackOptions) {
    super(attack, options);
    this.epsilon = checkEpsilon(attack, options?.epsilon);
  }

  /** the same attack, same options, another ε (step sizes derived from ε are derived again) */
  abstract withEpsilon(epsilon: number): EpsilonAttack;

  /** Run at every ε (each run starts from the same seed). Tensors belong to the caller. */
  async runEpsilons(model: AttackModel, x: Tensor, labels: Tensor, epsilons: readonly number[], targets?: Tensor): Promise<EpsilonResult[]> {
    if (!Array.isArray(epsilons) || epsilons.length === 0) {
      throw new AttackConfigError(`${this.name}: runEpsilons needs a non-empty array of epsilons, got ${JSON.stringify(epsilons)}`);
    }
    epsilons.forEach((e, i) => checkEpsilon(this.name, e, `epsilons[${i}]`));
    const out: EpsilonResult[] = [];
    for (const epsilon of epsilons) {
      const r = await this.withEpsilon(epsilon).run(model, x, labels, targets);
      const clipped = tidy(() => clipToImage(project(r.adversarial, x, epsilon, this.norm)));
      out.push({ epsilon, raw: r.adversarial, clipped, success: r.success });
    }
    return out;
  }
}
