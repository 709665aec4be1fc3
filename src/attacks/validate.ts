/** Configuration and input checks shared by every attack; errors name the attack, the value and what was expected. */
import { formatShape } from '../core/shape.js';
import { Tensor } from '../core/tensor.js';
import { isFloat } from '../core/dtype.js';
import { max, min } from '../ops/reduce.js';
import { tidy } from '../core/scope.js';

export class AttackConfigError extends Error {
  override name = 'AttackConfigError';
}

export class AttackInputError extends Error {
  override name = 'AttackInputError';
}

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : `${typeof v} ${JSON.stringify(v)}`;
}

/** ε: a finite number >= 0 */
export function checkEpsilon(attack: string, v: unknown, name = 'epsilon'): number {
  if (v === undefined) throw new AttackConfigError(`${attack}: ${name} is required (a finite number >= 0, e.g. 0.3 for MNIST, 8/255 for CIFAR-10)`);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new AttackConfigError(`${attack}: ${name} must be a finite number >= 0, got ${describe(v)}`);
  }
  return v;
}

export function checkPositive(attack: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new AttackConfigError(`${attack}: ${name} must be a finite number > 0, got ${describe(v)}`);
  }
  return v;
}

export function checkNonNegative(attack: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new AttackConfigError(`${attack}: ${name} must be a finite number >= 0, got ${describe(v)}`);
  }
  return v;
}

/** a seed: an integer from 0 to 2³² − 1 (the generator's key) */
export function checkSeed(attack: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new AttackConfigError(`${attack}: seed must be an integer from 0 to 4294967295, got ${describe(v)}`);
  }
  return v;
}

export function checkPositiveInt(attack: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new AttackConfigError(`${attack}: ${name} must be a positive integer, got ${describe(v)}`);
  }
  return v;
}

/** a fraction in (0, 1] */
export function checkFraction(attack: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
    throw new AttackConfigError(`${attack}: ${name} must be a fraction in (0, 1], got ${describe(v)}`);
  }
  return v;
}

export function checkOneOf<T extends string>(attack: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new AttackConfigError(`${attack}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

/** x float [N, ...] (rank >= 2), labels int32 [N], targets int32 [N] when given, all on one backend */
export function checkBatch(attack: string, x: unknown, labels: unknown, targets?: unknown): void {
  if (!(x instanceof Tensor) || x.isDisposed) throw new AttackInputError(`${attack}: x must be a live Tensor`);
  if (!isFloat(x.dtype) || x.rank < 2) {
    throw new AttackInputError(`${attack}: x must be a float tensor [N, ...] (rank >= 2), got ${x.dtype} ${formatShape(x.shape)}`);
  }
  const n = x.shape[0]!;
  if (n === 0) throw new AttackInputError(`${attack}: the batch is empty (x ${formatShape(x.shape)})`);
  const checkLabels = (t: unknown, what: string) => {
    if (!(t instanceof Tensor) || t.isDisposed) throw new AttackInputError(`${attack}: ${what} must be a live int32 Tensor [${n}]`);
    if (t.dtype !== 'int32' || t.rank !== 1 || t.shape[0] !== n) {
      throw new AttackInputError(`${attack}: ${what} must be int32 [${n}] to match x ${formatShape(x.shape)}, got ${t.dtype} ${formatShape(t.shape)}`);
    }
    if (t.backend !== x.backend) throw new AttackInputError(`${attack}: ${what} live on '${t.device}' but x on '${x.device}'`);
  };
  checkLabels(labels, 'labels');
  if (targets !== undefined && targets !== null) checkLabels(targets, 'targets');
}

/** Attacks work in [0, 1] image space; normalisation belongs inside the model. */
export async function checkImageRange(attack: string, x: Tensor): Promise<void> {
  const [lo, hi] = tidy(() => [min(x), max(x)]);
  try {
    const a = (await lo!.data())[0]!, b = (await hi!.data())[0]!;
    if (!(a >= 0 && b <= 1)) {
      throw new AttackInputError(`${attack}: inputs must lie in [0, 1] (got min ${a}, max ${b}); put any normalisation inside the model`);
    }
  } finally {
    lo!.dispose();
    hi!.dispose();
  }
}

export function checkLabelRange(attack: string, what: string, values: Int32Array, numClasses: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < 0 || v >= numClasses) throw new AttackInputError(`${attack}: ${what}[${i}] = ${v} is outside [0, ${numClasses}) for a model with ${numClasses} classes`);
  }
}
