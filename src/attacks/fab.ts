/**
 * FAB, the fast adaptive boundary attack (Croce & Hein 2020, "Minimally distorted adversarial
 * examples with a fast adaptive boundary attack"), L∞ and L2: a minimum-norm attack. At the
 * iterate x_i, with f_l = z_l − z_y linearised (w_l = ∇f_l), the hyperplane of the class
 * s = argmin_{l≠y} |f_l|/‖w_l‖_q (q the dual norm; the target for a targeted run) is projected on,
 * box-constrained, both from x_i (δ) and from the original x (δ₀):
 *   α = min(‖δ‖/(‖δ‖ + ‖δ₀‖), α_max),  x_{i+1} = clip((1 − α)(x_i + ηδ) + α(x + ηδ₀))
 * (η = 1.05 extrapolates just past the boundary, α biases towards points close to x). When x_{i+1}
 * is adversarial it is kept if it is the closest so far, and the iterate steps back towards x:
 * x_{i+1} ← (1 − β)x + βx_{i+1}, β = 0.9. Restarts start at random points of a ball around x of
 * radius min(‖best − x‖/2, restartRadius). Samples misclassified on the clean input are returned
 * unchanged; samples never made adversarial are returned as x (the result's success says which).
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, eq, gt, lt, minimum, mul, ne, sub, where } from '../ops/binary.js';
import { arange, full, rand, randn, uniform } from '../ops/creation.js';
import { gather } from '../ops/indexing.js';
import { argmax, argmin, norm, sum } from '../ops/reduce.js';
import { cast, clone, expand, reshape } from '../ops/shape.js';
import { affine, clamp, powScalar, square, sqrt, abs } from '../ops/unary.js';
import { Attack, type AttackOptions, type PerturbOutput } from './attack.js';
import type { AttackContext } from './context.js';
import { projectOnHyperplaneBox } from './fab-projection.js';
import { inputGradient } from './gradient.js';
import { pickClass } from './losses.js';
import { forwardPass } from './model.js';
import { NORM_FLOOR } from './steps.js';
import { AttackConfigError, checkNonNegative, checkOneOf, checkPositive, checkPositiveInt } from './validate.js';

export interface FABOptions extends AttackOptions {
  /** 'linf' (default) or 'l2' */
  norm?: 'linf' | 'l2';
  /** iterations per restart (default 100) */
  steps?: number;
  /** runs; the later ones from random starts (default 1) */
  restarts?: number;
  /** the largest bias towards x (default 0.1) */
  alphaMax?: number;
  /** extrapolation past the boundary (default 1.05) */
  eta?: number;
  /** the backward step's factor (default 0.9) */
  beta?: number;
  /** the largest radius of a restart's random start (default 0.3 for L∞, 1 for L2) */
  restartRadius?: number;
}

const MASK = 3.4028234663852886e38;

/** keep every tensor of a tidy's object result */
function keepFields<T extends Record<string, Tensor>>(o: T): T {
  for (const v of Object.values(o)) keep(v);
  return o;
}

export class FAB extends Attack {
  readonly name: string;
  readonly norm: 'linf' | 'l2';
  readonly steps: number;
  readonly restarts: number;
  readonly alphaMax: number;
  readonly eta: number;
  readonly beta: number;
  readonly restartRadius: number;

  constructor(readonly options: FABOptions = {}, name?: string) {
    const n = options.norm === undefined ? 'linf' : checkOneOf(name ?? 'FAB', 'norm', options.norm, ['linf', 'l2'] as const);
    const display = name ?? (n === 'linf' ? 'FAB' : 'FAB-L2');
    super(display, options);
    this.name = display;
    this.norm = n;
    this.steps = options.steps === undefined ? 100 : checkPositiveInt(display, 'steps', options.steps);
    this.restarts = options.restarts === undefined ? 1 : checkPositiveInt(display, 'restarts', options.restarts);
    this.alphaMax = options.alphaMax === undefined ? 0.1 : checkNonNegative(display, 'alphaMax', options.alphaMax);
    this.eta = options.eta === undefined ? 1.05 : checkPositive(display, 'eta', options.eta);
    this.beta = options.beta === undefined ? 0.9 : checkPositive(display, 'beta', options.beta);
    this.restartRadius = options.restartRadius === undefined ? (n === 'linf' ? 0.3 : 1) : checkPositive(display, 'restartRadius', options.restartRadius);
    if (this.alphaMax > 1) throw new AttackConfigError(`${display}: alphaMax weighs the step from x against the step from the iterate, in [0, 1], got ${this.alphaMax}`);
    if (this.beta > 1) throw new AttackConfigError(`${display}: beta is the backward step's factor, in (0, 1], got ${this.beta}`);
  }

  override get progressSteps(): number { return this.restarts * this.steps; }

  protected async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    const best = this.search(ctx, ctx.targets, null);
    best.norm.dispose();
    return { adversarial: best.x };
  }

  /**
   * `restarts` runs aimed at the hyperplane of `towards` (null: the nearest one), merged with `best`
   * (consumed): per sample the adversarial of smallest norm. Returns x and the norm (Infinity where none).
   */
  protected search(ctx: AttackContext, towards: Tensor | null, best: { x: Tensor; norm: Tensor } | null): { x: Tensor; norm: Tensor } {
    const { x } = ctx;
    const n = x.shape[0]!;
    let state = best ?? keepFields(tidy(() => {
      // a sample already misclassified (or at its target) is its own closest adversarial
      const done = this.reached(ctx, ctx.cleanLogits);
      return { x: clone(x), norm: where(done, 0, full([n], Infinity, { dtype: x.dtype, backend: x.backend })) };
    }));
    for (let r = 0; r < this.restarts; r++) {
      let cur = keep(tidy(() => (r === 0 ? clone(x) : this.randomStartAround(ctx, state.norm))));
      for (let i = 0; i < this.steps; i++) {
        const next = keep(tidy(() => noGrad(() => this.step(ctx, cur, towards))));
        cur.dispose();
        const merged = keepFields(tidy(() => {
          const adv = this.reached(ctx, noGrad(() => forwardPass(ctx.model, next).logits));
          const dist = reshape(norm(reshape(sub(next, x), [n, -1]), this.norm === 'linf' ? Infinity : 2, 1), [n]);
          const closer = mul(adv, lt(dist, state.norm));
          const wide = reshape(closer, x.shape.map((d, k) => (k === 0 ? d : 1)));
          const back = add(affine(x, 1 - this.beta, 0), affine(next, this.beta, 0));
          return { x: where(wide, next, state.x), norm: where(closer, dist, state.norm), cur: where(reshape(adv, wide.shape), back, next) };
        }));
        next.dispose();
        state.x.dispose();
        state.norm.dispose();
        state = { x: merged.x, norm: merged.norm };
        cur = merged.cur;
        ctx.iterationDone();
      }
      cur.dispose();
    }
    return state;
  }

  /** 1 where the logits are adversarial: misclassified (untargeted) or at the target */
  private reached(ctx: AttackContext, logits: Tensor): Tensor {
    const pred = argmax(logits, 1);
    const hit = ctx.targets ? eq(pred, ctx.targets) : ne(pred, ctx.labels);
    return cast(hit, logits.dtype);
  }

  /** one FAB step from cur (a graph-free result) */
  private step(ctx: AttackContext, cur: Tensor, towards: Tensor | null): Tensor {
    const { x } = ctx;
    const [n, k] = [x.shape[0]!, ctx.numClasses];
    const d = x.size / n;
    const classes = reshape(expand(reshape(arange(0, k, 1, { dtype: 'int32', backend: x.backend }), [1, k]), [n, k]), [n * k]);
    const rest = x.shape.slice(1);
    const repeated = reshape(expand(reshape(cur, [n, 1, ...rest]), [n, k, ...rest]), [n * k, ...rest]);
    const grads = reshape(inputGradient((xi) => pickClass(forwardPass(ctx.model, xi).logits, classes), repeated), [n, k, d]);
    const z = forwardPass(ctx.model, cur).logits;
    const y = reshape(ctx.labels, [n, 1]);
    const f = sub(z, gather(z, 1, y)); // [n, k]
    const w = sub(grads, gather(grads, 1, expand(reshape(y, [n, 1, 1]), [n, 1, d]))); // [n, k, d]
    let s: Tensor;
    if (towards) {
      s = reshape(towards, [n, 1]);
    } else {
      const dual = clamp(norm(w, this.norm === 'linf' ? 1 : 2, 2), NORM_FLOOR, Infinity);
      const isLabel = eq(reshape(arange(0, k, 1, { dtype: 'int32', backend: x.backend }), [1, k]), y);
      s = reshape(argmin(where(isLabel, MASK, div(abs(f), dual)), 1), [n, 1]);
    }
    const fs = gather(f, 1, s); // [n, 1]
    const ws = reshape(gather(w, 1, expand(reshape(s, [n, 1, 1]), [n, 1, d])), [n, d]);
    const curFlat = reshape(cur, [n, d]);
    const xFlat = reshape(x, [n, d]);
    const delta = projectOnHyperplaneBox(ws, affine(fs, -1, 0), affine(curFlat, -1, 0), affine(curFlat, -1, 1), this.norm);
    // the same linearised hyperplane, reached from x: w·(x + δ₀ − x_i) + f = 0
    const cOrig = affine(add(fs, sum(mul(ws, sub(xFlat, curFlat)), 1, true)), -1, 0);
    const deltaOrig = projectOnHyperplaneBox(ws, cOrig, affine(xFlat, -1, 0), affine(xFlat, -1, 1), this.norm);
    const p = this.norm === 'linf' ? Infinity : 2;
    const nd = norm(delta, p, 1, true);
    const no = norm(deltaOrig, p, 1, true);
    const alpha = clamp(div(nd, clamp(add(nd, no), NORM_FLOOR, Infinity)), 0, this.alphaMax);
    const fromCur = add(curFlat, affine(delta, this.eta, 0));
    const fromX = add(xFlat, affine(deltaOrig, this.eta, 0));
    const next = add(mul(affine(alpha, -1, 1), fromCur), mul(alpha, fromX));
    return reshape(clamp(next, 0, 1), x.shape);
  }

  /** x + a uniform point of the ball of radius min(best/2, restartRadius) per sample, clipped */
  private randomStartAround(ctx: AttackContext, bestNorm: Tensor): Tensor {
    const { x } = ctx;
    const n = x.shape[0]!;
    const o = { generator: ctx.generator, dtype: x.dtype, backend: x.backend };
    const radius = reshape(minimum(affine(bestNorm, 0.5, 0), this.restartRadius), x.shape.map((d, k) => (k === 0 ? d : 1)));
    let unit: Tensor;
    if (this.norm === 'linf') {
      unit = uniform(x.shape, -1, 1, o);
    } else {
      const g = randn(x.shape, o);
      const len = sqrt(sum(square(g), x.shape.map((_, k) => k).slice(1), true));
      const r = powScalar(rand(radius.shape, o), n > 0 ? 1 / (x.size / n) : 1);
      unit = mul(div(g, clamp(len, NORM_FLOOR, Infinity)), r);
    }
    return clamp(add(x, mul(unit, radius)), 0, 1);
  }
}

/** FAB-T as AutoAttack runs it: FAB aimed at each of the `numTargets` most likely wrong classes, the closest adversarial kept. */
export interface FABTargetedOptions extends Omit<FABOptions, 'target'> {
  /** how many of the most likely wrong classes (default 9; capped at K − 1) */
  numTargets?: number;
}

export class FABTargeted extends FAB {
  readonly numTargets: number;

  constructor(options: FABTargetedOptions = {}) {
    const name = options.norm === 'l2' ? 'FAB-T-L2' : 'FAB-T';
    const target = (options as AttackOptions).target;
    if (target !== undefined && target !== 'untargeted') {
      throw new AttackConfigError(`${name}: FAB-T chooses its own target hyperplanes and counts any misclassification; got target: '${target}'`);
    }
    super(options, name);
    this.numTargets = options.numTargets === undefined ? 9 : checkPositiveInt(name, 'numTargets', options.numTargets);
  }

  override get progressSteps(): number { return this.numTargets * this.restarts * this.steps; }

  protected override async perturb(ctx: AttackContext): Promise<PerturbOutput> {
    if (ctx.targets) throw new AttackConfigError(`${this.name}: FAB-T chooses its own targets; do not pass targets to run()`);
    const count = Math.min(this.numTargets, ctx.numClasses - 1);
    const wrongByLikelihood = keep(tidy(() => {
      // the clean logits with the label masked to the bottom, ranked: column t is the (t+1)-th most likely wrong class
      const isLabel = eq(reshape(arange(0, ctx.numClasses, 1, { dtype: 'int32', backend: ctx.x.backend }), [1, -1]), reshape(ctx.labels, [-1, 1]));
      return where(isLabel, -MASK, ctx.cleanLogits);
    }));
    let best: { x: Tensor; norm: Tensor } | null = null;
    try {
      let masked = wrongByLikelihood;
      for (let t = 0; t < count; t++) {
        const target = keep(tidy(() => argmax(masked, 1)));
        const nextMasked = keep(tidy(() => where(eq(reshape(arange(0, ctx.numClasses, 1, { dtype: 'int32', backend: ctx.x.backend }), [1, -1]), reshape(target, [-1, 1])), -MASK, masked)));
        if (masked !== wrongByLikelihood) masked.dispose();
        masked = nextMasked;
        try {
          best = this.search(ctx, target, best);
        } finally {
          target.dispose();
        }
      }
      if (masked !== wrongByLikelihood) masked.dispose();
    } finally {
      wrongByLikelihood.dispose();
    }
    best!.norm.dispose();
    return { adversarial: best!.x };
  }
}
