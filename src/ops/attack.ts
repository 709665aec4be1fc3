/**
 * Attack steps. Not differentiable (attacks never differentiate through their own update): the
 * result is a fresh leaf.
 */
import type { LinfStepParams } from '../core/backend.js';
import { accelerated } from '../core/accelerations.js';
import { noGrad } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { formatShape } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { affineRaw, binaryRaw, scalarLike, unaryRaw, whereRaw } from './raw.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

export interface LinfStepOptions {
  /** the image range the result is clipped to, default [0, 1] */
  lo?: number;
  hi?: number;
}

/**
 * One L∞ projected-gradient step: clamp(min(max(xAdv + α·sign(g), x − ε), x + ε), lo, hi) — move
 * by the step α, project onto the ε-ball around the clean x, then clip to the image range.
 * sign(0) = 0; a NaN gradient gives NaN (never a silent move). One fused kernel where the backend
 * lists linfStep, else composed from elementwise kernels with the same roundings.
 */
export function linfStep(xAdv: Tensor, x: Tensor, g: Tensor, alpha: number, eps: number, options: LinfStepOptions = {}): Tensor {
  const op = 'linfStep';
  checkTensor(op, xAdv, 'xAdv'); checkTensor(op, x, 'x'); checkTensor(op, g, 'g');
  for (const [name, t] of [['x', x], ['g', g]] as const) {
    if (t.shape.length !== xAdv.shape.length || t.shape.some((d, i) => d !== xAdv.shape[i])) {
      throw new OpError(`${op}: ${name} has shape ${formatShape(t.shape)}, expected the shape of xAdv ${formatShape(xAdv.shape)}`);
    }
  }
  checkFloat(op, xAdv); checkSameDType(op, xAdv, x); checkSameDType(op, xAdv, g);
  const lo = options.lo ?? 0, hi = options.hi ?? 1;
  if (!(alpha >= 0 && Number.isFinite(alpha))) throw new OpError(`${op}: alpha must be a finite number >= 0, got ${alpha}`);
  if (!(eps >= 0)) throw new OpError(`${op}: eps must be >= 0, got ${eps}`);
  if (!(lo <= hi)) throw new OpError(`${op}: lo must be <= hi, got lo ${lo}, hi ${hi}`);
  const backend = sameBackend(op, xAdv, x, g);
  const p: LinfStepParams = { size: xAdv.size, alpha, eps, lo, hi };
  const fused = accelerated(backend, 'linfStep');
  if (fused) return fromStorage(fused(xAdv.storage, x.storage, g.storage, p), xAdv.shape, xAdv.dtype);
  return noGrad(() => tidy(() => {
    // sign with NaN kept (the sign kernel maps NaN to 0)
    const direction = whereRaw(binaryRaw('eq', g, g), unaryRaw('sign', g), scalarLike(g, NaN));
    const moved = binaryRaw('add', xAdv, affineRaw(direction, alpha, 0));
    const projected = binaryRaw('minimum', binaryRaw('maximum', moved, affineRaw(x, 1, -eps)), affineRaw(x, 1, eps));
    return unaryRaw('clamp', projected, [lo, hi]);
  }));
}
