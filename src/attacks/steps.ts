/**
 * The elementwise part of every gradient attack, composed from a handful of ops so that a backend
 * can later fuse it into one kernel: per-sample Lp norms, steepest-ascent directions, projection
 * onto the ε-ball around x, and the clip to the image range. Every reduction is per sample (over
 * all axes but the batch axis): attacking N images at once equals attacking each alone.
 */
import type { Tensor } from '../core/tensor.js';
import { add, maximum, minimum, div, mul, sub } from '../ops/binary.js';
import { norm } from '../ops/reduce.js';
import { affine, clamp, sign } from '../ops/unary.js';
import { linfStep } from '../ops/attack.js';
import { projectL1 } from './l1-steps.js';
import { AttackConfigError } from './validate.js';

/** The floor under ‖g‖ in g/‖g‖: a looser one (1e-8) silently shortens steps of small gradients. */
export const NORM_FLOOR = 1e-12;

/** the threat models; 'l1' is served by APGD-L1's sparse steps (l1-steps.ts), not by the dense steps here */
export type Norm = 'linf' | 'l2' | 'l1';
/** what an attack's achieved perturbation is reported in: a norm with a ball (Norm), or L0, the number of changed pixels */
export type ThreatNorm = Norm | 'l0';
export type LpOrder = 1 | 2 | 'inf';

/** the order p of a threat model's norm */
export function lpOrder(n: Norm): LpOrder {
  return n === 'linf' ? 'inf' : n === 'l2' ? 2 : 1;
}

/** every axis but the batch axis */
export function sampleAxes(t: Tensor): number[] {
  return t.shape.map((_, i) => i).slice(1);
}

/** ‖t_i‖_p per sample, shaped [N, 1, ..., 1] (keepdim) so it broadcasts against t */
export function perSampleNorm(t: Tensor, p: LpOrder): Tensor {
  return norm(t, p === 'inf' ? Infinity : p, sampleAxes(t), true);
}

/** t_i / max(‖t_i‖_p, 1e-12) per sample */
export function normalizePerSample(t: Tensor, p: LpOrder): Tensor {
  return div(t, clamp(perSampleNorm(t, p), NORM_FLOOR, Infinity));
}

/** the unit-norm steepest-ascent direction: sign(g) for L∞ (sign(0) = 0), g/‖g‖₂ for L2 */
export function ascentDirection(g: Tensor, n: Norm): Tensor {
  if (n === 'l1') throw new AttackConfigError("ascentDirection: the dense L1 steepest-ascent direction moves one coordinate per step and stalls on the image box; use APGD with norm 'l1' (sparse steps)");
  return n === 'linf' ? sign(g) : normalizePerSample(g, 2);
}

/** clamp x' into [x − ε, x + ε]; leaves x' bit-exact where it is already inside, and x exactly at ε = 0 */
export function projectLinf(xAdv: Tensor, x: Tensor, eps: number): Tensor {
  return minimum(maximum(xAdv, affine(x, 1, -eps)), affine(x, 1, eps));
}

/** x + δ·min(1, ε/‖δ‖₂) per sample */
export function projectL2(xAdv: Tensor, x: Tensor, eps: number): Tensor {
  const delta = sub(xAdv, x);
  const n = clamp(perSampleNorm(delta, 2), NORM_FLOOR, Infinity);
  const factor = clamp(div(eps, n), -Infinity, 1);
  return add(x, mul(delta, factor));
}

export function project(xAdv: Tensor, x: Tensor, eps: number, n: Norm): Tensor {
  if (n === 'l1') return projectL1(xAdv, x, eps);
  return n === 'linf' ? projectLinf(xAdv, x, eps) : projectL2(xAdv, x, eps);
}

/** the valid image range */
export function clipToImage(x: Tensor): Tensor {
  return clamp(x, 0, 1);
}

/**
 * one projected-gradient step: clip(Π_ε(x' + α·direction(g))) — project first, then clip. The L∞
 * step is one fused kernel (linfStep); the L2 step needs per-sample norms and is composed.
 */
export function ascentStep(xAdv: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number, n: Norm): Tensor {
  if (n === 'linf') return linfStep(xAdv, x, g, alpha, eps);
  const moved = add(xAdv, affine(ascentDirection(g, n), alpha, 0));
  return clipToImage(project(moved, x, eps, n));
}

/** MI-FGSM momentum: μ·m + g/‖g‖₁, the L1 normalisation per sample */
export function momentumUpdate(m: Tensor, g: Tensor, mu: number): Tensor {
  return add(affine(m, mu, 0), normalizePerSample(g, 1));
}
