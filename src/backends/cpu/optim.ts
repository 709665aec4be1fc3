/**
 * In-place optimizer updates with PyTorch's semantics (torch.optim.SGD, Adam, AdamW), computed in
 * float64 per element and stored back in the parameter's dtype.
 */
import type { AdamParams, SgdParams } from '../../core/backend.js';
import type { TypedArray } from '../../core/dtype.js';

/**
 * g = grad + weightDecay·param; with a momentum buffer: buf = g on the first step, else
 * buf = momentum·buf + (1 − dampening)·g; then g = g + momentum·buf (Nesterov) or g = buf;
 * param −= lr·g. With momentum 0 PyTorch keeps no buffer, so a given one is left untouched.
 */
export function sgdStepInPlace(param: TypedArray, grad: TypedArray, buf: TypedArray | null, p: SgdParams): void {
  const { lr, momentum, dampening, weightDecay, nesterov, firstStep } = p;
  const n = param.length;
  if (!buf || momentum === 0) {
    for (let i = 0; i < n; i++) {
      const w = param[i]!;
      param[i] = w - lr * (grad[i]! + weightDecay * w);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const w = param[i]!;
    const g = grad[i]! + weightDecay * w;
    const b = firstStep ? g : momentum * buf[i]! + (1 - dampening) * g;
    buf[i] = b;
    // Nesterov reads the buffer as stored (rounded to its dtype), as PyTorch's in-place ops do
    param[i] = w - lr * (nesterov ? g + momentum * buf[i]! : buf[i]!);
  }
}

/**
 * Adam: g = grad (+ weightDecay·param, coupled); AdamW instead scales param by (1 − lr·weightDecay)
 * first. m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * param −= (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + epsilon).
 */
export function adamStepInPlace(param: TypedArray, grad: TypedArray, m: TypedArray, v: TypedArray, p: AdamParams): void {
  const { lr, beta1, beta2, epsilon, weightDecay, decoupled, step } = p;
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtCorrection2 = Math.sqrt(1 - beta2 ** step);
  const decay = decoupled ? 1 - lr * weightDecay : 1;
  const coupled = decoupled ? 0 : weightDecay;
  const n = param.length;
  for (let i = 0; i < n; i++) {
    const w = param[i]! * decay;
    const g = grad[i]! + coupled * w;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
    param[i] = w - stepSize * m[i]! / (Math.sqrt(v[i]!) / sqrtCorrection2 + epsilon);
  }
}
