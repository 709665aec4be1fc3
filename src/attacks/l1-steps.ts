/**
 * The L1 threat model's elementwise parts, composed from ops so they run batched on every backend
 * without a sort: the projection onto the L1 ball (optionally intersected with the image box) and
 * the sparse steepest-ascent direction of APGD-L1 (Croce & Hein 2021, "Mind the box"). Both find a
 * per-sample threshold by bisection, which needs only elementwise ops and per-sample sums; every
 * reduction is per sample, so attacking N images at once equals attacking each alone.
 */
import type { Tensor } from '../core/tensor.js';
import { add, div, ge, gt, le, lt, maximum, minimum, mul, sub, where } from '../ops/binary.js';
import { max, sum } from '../ops/reduce.js';
import { abs, affine, clamp, relu, sign } from '../ops/unary.js';

/** Halvings of the threshold interval: 2⁻⁶⁰ of the largest entry is below float64 resolution. */
export const BISECTION_STEPS = 60;

function axesOf(t: Tensor): number[] {
  return t.shape.map((_, i) => i).slice(1);
}

/** Σ|t| per sample, keepdim ([N, 1, ..., 1]) */
function l1PerSample(t: Tensor): Tensor {
  return sum(abs(t), axesOf(t), true);
}

/** sign(v)·max(|v| − λ, 0), λ per sample */
function softThreshold(v: Tensor, lambda: Tensor): Tensor {
  return mul(sign(v), relu(sub(abs(v), lambda)));
}

/**
 * argmin ‖δ − v‖₂ over ‖δ‖₁ ≤ ε and lo ≤ δ ≤ hi (lo ≤ 0 ≤ hi), per sample. The minimiser is
 * clip(softThreshold(v, λ), lo, hi) with the smallest λ ≥ 0 whose L1 norm is ≤ ε (that norm does not
 * increase with λ); λ is found by bisection and the upper end of the bracket is used, so the result
 * is always feasible. Samples already inside are returned clipped only (bit-exact when also in the box).
 */
function projectSoftThreshold(v: Tensor, eps: number, lo: Tensor | null, hi: Tensor | null): Tensor {
  const boxed = (t: Tensor) => (lo && hi ? minimum(maximum(t, lo), hi) : t);
  const inside = le(l1PerSample(boxed(v)), eps);
  let low = mul(max(abs(v), axesOf(v), true), 0);
  let high = max(abs(v), axesOf(v), true);
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = affine(add(low, high), 0.5, 0);
    const tooLong = gt(l1PerSample(boxed(softThreshold(v, mid))), eps);
    low = where(tooLong, mid, low);
    high = where(tooLong, high, mid);
  }
  return where(inside, boxed(v), boxed(softThreshold(v, high)));
}

/** x + δ projected onto the L1 ball of radius ε around x (no box) */
export function projectL1(xAdv: Tensor, x: Tensor, eps: number): Tensor {
  return add(x, projectSoftThreshold(sub(xAdv, x), eps, null, null));
}

/** the projection onto {x' : ‖x' − x‖₁ ≤ ε, 0 ≤ x' ≤ 1} (the exact Euclidean projection onto the intersection) */
export function projectL1Box(xAdv: Tensor, x: Tensor, eps: number): Tensor {
  return add(x, projectSoftThreshold(sub(xAdv, x), eps, affine(x, -1, 0), affine(x, -1, 1)));
}

/**
 * The per-sample threshold t with #{j : a_j ≥ t} ≥ k and t as large as possible (the k-th largest
 * entry of a ≥ 0), by bisection; k per sample, shaped like a's keepdim reductions.
 */
export function kthLargest(a: Tensor, k: Tensor): Tensor {
  const top = max(a, axesOf(a), true);
  let low = mul(top, 0);
  // just above the largest entry: no entry reaches it, so the count there is 0 < k
  let high = affine(top, 1 + 1e-6, 1e-30);
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = affine(add(low, high), 0.5, 0);
    const enough = ge(sum(ge(a, mid), axesOf(a), true), k);
    low = where(enough, mid, low);
    high = where(enough, high, mid);
  }
  return low;
}

/**
 * The sparse L1 ascent direction of APGD-L1: coordinates that cannot move further inside the box
 * in the gradient's direction (x'_j = 1 with g_j > 0, x'_j = 0 with g_j < 0) are dropped, then the k
 * largest |g_j| keep sign(g_j) and the rest are 0; normalised to unit L1 norm (0 where g is 0).
 */
export function sparseL1Direction(g: Tensor, xAdv: Tensor, k: Tensor): Tensor {
  const blocked = add(mul(ge(xAdv, 1), gt(g, 0)), mul(le(xAdv, 0), lt(g, 0)));
  const free = where(gt(blocked, 0), 0, g);
  const magnitude = abs(free);
  const selected = mul(ge(magnitude, kthLargest(magnitude, k)), gt(magnitude, 0));
  const u = mul(sign(free), selected);
  return div(u, clamp(l1PerSample(u), 1, Infinity));
}

/** ‖t‖₀ per sample, keepdim: entries with |t_j| > 0 */
export function l0PerSample(t: Tensor): Tensor {
  return sum(gt(abs(t), 0), axesOf(t), true);
}
