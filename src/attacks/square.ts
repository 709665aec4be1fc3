/**
 * Square Attack (Andriushchenko, Croce, Flammarion & Hein, ECCV 2020): a score-based attack that
 * needs the model's logits only, never a gradient, so it is the check for gradient masking. A
 * random search over localised square-shaped updates on the boundary of the L∞ or L2 ball: each
 * iteration every unfinished sample tries one update, the batch is queried once, and a sample
 * keeps its update only when the loss (margin untargeted, cross-entropy to the target targeted)
 * drops. The square's size follows the fraction schedule in rs-schedule.ts.
 */
import type { PerturbOutput } from './attack.js';
import type { AttackContext } from './context.js';
import { EpsilonAttack, type EpsilonAttackOptions } from './epsilon-attack.js';
import { randomSearch } from './random-search.js';
import { fractionAt, squareSide } from './rs-schedule.js';
import { batchFromRows, hostSamples, searchTargets } from './host-batch.js';
import { queryScores } from './score-query.js';
import { l2Init, l2Update, linfInit, linfUpdate, type ImageGeometry } from './square-proposals.js';
import type { Norm } from './steps.js';
import { AttackInputError, checkFraction, checkOneOf, checkPositiveInt } from './validate.js';

export interface SquareOptions extends EpsilonAttackOptions {
  /** 'linf' (default) or 'l2' */
  norm?: Norm;
  /** model queries per sample, the initialisation's included (default 10000, as in the paper) */
  queries?: number;
  /** the initial fraction of the image a square covers, in (0, 1] (default 0.05 for L∞, 0.1 for L2, the paper's ImageNet values; AutoAttack uses 0.8) */
  pInit?: number;
}

export class Square extends EpsilonAttack {
  readonly name: string;
  readonly norm: Norm;
  readonly queries: number;
  readonly pInit: number;

  constructor(readonly options: SquareOptions) {
    const n = options?.norm === undefined ? 'linf' : checkOneOf('Square', 'norm', options.norm, ['linf', 'l2'] as const);
    const display = n === 'linf' ? 'Square' : 'Square-L2';
    super(display, options);
    this.name = display;
    this.norm = n;
    this.queries = options.queries === undefined ? 10000 : checkPositiveInt(display, 'queries', options.queries);
    this.pInit = options.pInit === undefined ? (n === 'linf' ? 0.05 : 0.1) : checkFraction(display, 'pInit', options.pInit);
  }

  withEpsilon(epsilon: number): Square {
    return new Square({ ...this.options, epsilon });
  }

  /** one progress step per query: the initialisation, then each update */
  override get progressSteps(): number { return this.queries; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const shape = ctx.x.shape;
    if (shape.length !== 4 || shape[2]! < 2 || shape[3]! < 2) {
      throw new AttackInputError(`${this.name}: needs images [N, C, H, W] with H, W >= 2 (its updates are squares), got x [${shape.join(', ')}]`);
    }
    const geometry: ImageGeometry = { channels: shape[1]!, height: shape[2]!, width: shape[3]! };
    const clean = await hostSamples(ctx);
    const { labels, targets, doneAtStart } = await searchTargets(ctx);
    const gen = ctx.generator, eps = this.epsilon;
    const init = this.norm === 'linf' ? linfInit : l2Init;
    const update = this.norm === 'linf' ? linfUpdate : l2Update;
    const result = await randomSearch<Float64Array>({
      samples: clean.length,
      doneAtStart,
      init: (i) => init(clean[i]!, eps, geometry, gen),
      propose: (i, best, t) => update(clean[i]!, best, eps, squareSide(fractionAt(this.pInit, t, this.queries), geometry.height, geometry.width), geometry, gen),
      evaluate: (samples, candidates) => queryScores(ctx, samples, candidates, labels, targets),
    }, { queries: this.queries, onIteration: () => ctx.iterationDone() });
    return { adversarial: batchFromRows(ctx, result.best, clean), queries: result.queries };
  }
}
