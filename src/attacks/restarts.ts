/**
 * Keeping the per-sample worst case over restarts: a restart replaces the kept adversarial of a
 * sample when it succeeds where the kept one failed, or when both agree on success and its
 * objective is higher. Restart 0 is the single-restart run, so more restarts never lower success.
 */
import { noGrad } from '../core/autograd.js';
import { keep, tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { add, eq, gt, mul, where } from '../ops/binary.js';
import { reshape } from '../ops/shape.js';
import { attackObjective, successMask, type AttackContext } from './context.js';
import type { ObjectiveSpec } from './losses.js';
import { forwardPass } from './model.js';

export interface Candidate {
  x: Tensor;
  /** 1/0 per sample */
  success: Tensor;
  objective: Tensor;
}

/** Success and objective of an adversarial batch (kept; the caller disposes). */
export function assess(ctx: AttackContext, spec: ObjectiveSpec, xAdv: Tensor): Candidate {
  return tidy(() => noGrad(() => {
    const out = forwardPass(ctx.model, xAdv);
    return { x: xAdv, success: keep(successMask(ctx, out)), objective: keep(attackObjective(ctx, spec, out)) };
  }));
}

export function disposeCandidate(c: Candidate): void {
  c.x.dispose();
  c.success.dispose();
  c.objective.dispose();
}

/** The per-sample better of two candidates; both inputs are disposed, the result is kept. */
export function keepWorstCase(best: Candidate, next: Candidate): Candidate {
  const merged = tidy(() => {
    const better = add(gt(next.success, best.success), mul(eq(next.success, best.success), gt(next.objective, best.objective)));
    const wide = reshape(better, best.x.shape.map((d, i) => (i === 0 ? d : 1)));
    return {
      x: keep(where(wide, next.x, best.x)),
      success: keep(where(better, next.success, best.success)),
      objective: keep(where(better, next.objective, best.objective)),
    };
  });
  disposeCandidate(best);
  disposeCandidate(next);
  return merged;
}

/** One step of an iterative attack: the next iterate (kept) and, when the attack keeps its best iterate, the current one assessed. */
export interface IterationStep {
  next: Tensor;
  seen: Candidate | null;
}

/**
 * `steps` iterations from `start` (consumed): the per-sample worst case over the iterates each step
 * assessed and the last iterate (assessed by `assessLast`). Every tensor is released on an error.
 */
export function iterateKeepingBest(ctx: AttackContext, start: Tensor, steps: number,
  step: (cur: Tensor) => IterationStep, assessLast: (cur: Tensor) => Candidate): Candidate {
  let cur = start;
  let best: Candidate | null = null;
  try {
    for (let s = 0; s < steps; s++) {
      const { next, seen } = step(cur);
      if (seen) best = best ? keepWorstCase(best, seen) : seen;
      cur.dispose();
      cur = next;
      ctx.iterationDone();
    }
  } catch (e) {
    cur.dispose();
    if (best) disposeCandidate(best);
    throw e;
  }
  const last = assessLast(cur);
  return best ? keepWorstCase(best, last) : last;
}

