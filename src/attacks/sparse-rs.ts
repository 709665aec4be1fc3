/**
 * Sparse-RS, L0 pixel version (Croce, Andriushchenko, Singh, Flammarion & Hein, "Sparse-RS: a
 * versatile framework for query-efficient sparse black-box adversarial attacks", AAAI 2022): at
 * most k pixels are changed, each set in all its channels to a corner of the colour cube {0, 1}^C.
 * Random search, no gradient: start from k random pixels with random corners; each iteration
 * moves a fraction α(t)·k of the perturbed pixels to as many unperturbed ones (new random
 * corners), α following the Square schedule (rs-schedule.ts); a move is kept only when the loss
 * (margin untargeted, cross-entropy to the target targeted) drops.
 */
import type { Generator } from '../core/random.js';
import { Attack, type AttackOptions, type PerturbOutput } from './attack.js';
import type { AttackContext } from './context.js';
import { batchFromRows, hostSamples, searchTargets } from './host-batch.js';
import { randomSearch } from './random-search.js';
import { fractionAt, pixelsToSwap } from './rs-schedule.js';
import { queryScores } from './score-query.js';
import { AttackConfigError, checkFraction, checkPositiveInt } from './validate.js';

export interface SparseRSOptions extends AttackOptions {
  /** k: the most pixels that may change (required) */
  pixels: number;
  /** model queries per sample, the initialisation's included (default 10000) */
  queries?: number;
  /** α_init, the initial fraction of the k pixels moved per iteration, in (0, 1] (default 0.3) */
  pInit?: number;
}

/** how an image is cut into pixels: [N, C, H, W] → H·W pixels of C channels; any other rank → one entry per pixel */
export interface PixelLayout {
  pixels: number;
  channels: number;
}

/** One sample's perturbation: which pixels are set, to which corner (a bit per channel), and the image. */
export interface SparseCandidate {
  pixels: Int32Array;
  /** corner bits, pixels.length × channels */
  colours: Uint8Array;
  image: Float64Array;
}

/** x with each listed pixel set to its corner (entry (c, p) of a [C, P] layout is c·P + p) */
export function paint(x: Float64Array, layout: PixelLayout, pixels: Int32Array, colours: Uint8Array): Float64Array {
  const out = x.slice();
  pixels.forEach((p, j) => {
    for (let c = 0; c < layout.channels; c++) out[c * layout.pixels + p] = colours[j * layout.channels + c]!;
  });
  return out;
}

/** k distinct pixels uniformly at random, each with a uniform corner */
export function sparseInit(x: Float64Array, k: number, layout: PixelLayout, generator: Generator): SparseCandidate {
  const pixels = generator.permutation(layout.pixels).slice(0, k);
  const colours = Uint8Array.from(generator.integers(k * layout.channels, 0, 2));
  return { pixels, colours, image: paint(x, layout, pixels, colours) };
}

/**
 * Move `swap` perturbed pixels (uniform among the k) to as many unperturbed ones (uniform among
 * the rest), the new ones with fresh uniform corners. When every pixel is already perturbed
 * (k = H·W) the chosen pixels get fresh corners instead.
 */
export function sparseUpdate(x: Float64Array, best: SparseCandidate, swap: number, layout: PixelLayout, generator: Generator): SparseCandidate {
  const k = best.pixels.length;
  const inSet = new Uint8Array(layout.pixels);
  for (const p of best.pixels) inSet[p] = 1;
  const outside: number[] = [];
  for (let p = 0; p < layout.pixels; p++) if (!inSet[p]) outside.push(p);
  const leaving = generator.permutation(k).slice(0, swap);
  const arriving = outside.length === 0 ? Array.from(leaving, (j) => best.pixels[j]!) : Array.from(generator.permutation(outside.length).slice(0, Math.min(swap, outside.length)), (j) => outside[j]!);
  const pixels = best.pixels.slice();
  const colours = best.colours.slice();
  const fresh = generator.integers(arriving.length * layout.channels, 0, 2);
  arriving.forEach((p, a) => {
    const j = leaving[a]!;
    pixels[j] = p;
    for (let c = 0; c < layout.channels; c++) colours[j * layout.channels + c] = fresh[a * layout.channels + c]!;
  });
  return { pixels, colours, image: paint(x, layout, pixels, colours) };
}

export class SparseRS extends Attack {
  readonly name = 'Sparse-RS';
  readonly norm = 'l0' as const;
  readonly pixels: number;
  readonly queries: number;
  readonly pInit: number;

  constructor(readonly options: SparseRSOptions) {
    super('Sparse-RS', options);
    if (options?.pixels === undefined) throw new AttackConfigError('Sparse-RS: pixels (k, the most pixels that may change) is required, e.g. 10 for MNIST');
    this.pixels = checkPositiveInt(this.name, 'pixels', options.pixels);
    this.queries = options.queries === undefined ? 10000 : checkPositiveInt(this.name, 'queries', options.queries);
    this.pInit = options.pInit === undefined ? 0.3 : checkFraction(this.name, 'pInit', options.pInit);
  }

  /** one progress step per query: the initialisation, then each update */
  override get progressSteps(): number { return this.queries; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const shape = ctx.x.shape;
    const layout: PixelLayout = shape.length === 4
      ? { pixels: shape[2]! * shape[3]!, channels: shape[1]! }
      : { pixels: shape.slice(1).reduce((a, b) => a * b, 1), channels: 1 };
    const k = Math.min(this.pixels, layout.pixels);
    const clean = await hostSamples(ctx);
    const { labels, targets, doneAtStart } = await searchTargets(ctx);
    const gen = ctx.generator;
    const result = await randomSearch<SparseCandidate>({
      samples: clean.length,
      doneAtStart,
      init: (i) => sparseInit(clean[i]!, k, layout, gen),
      propose: (i, best, t) => sparseUpdate(clean[i]!, best, pixelsToSwap(fractionAt(this.pInit, t, this.queries), k), layout, gen),
      evaluate: (samples, candidates) => queryScores(ctx, samples, candidates.map((c) => c.image), labels, targets),
    }, { queries: this.queries, onIteration: () => ctx.iterationDone() });
    return { adversarial: batchFromRows(ctx, result.best.map((c) => c?.image ?? null), clean), queries: result.queries };
  }
}
