/**
 * The one place an op asks whether its backend runs a fused kernel. `accelerated(backend, name)`
 * returns the kernel when the backend lists it in `backend.accelerated`, and null otherwise, in
 * which case the op composes the same result from the required primitives. `withoutAccelerations`
 * turns every lookup off for the duration of a function: the composed paths then run everywhere,
 * which is how the tests check each fused kernel against its definition (and how a user can rule
 * out a fused kernel when a result looks wrong).
 */
import type { AccelerationName, Accelerations, Backend } from './backend.js';

let enabled = true;

export function accelerated<K extends AccelerationName>(backend: Backend, name: K): NonNullable<Accelerations[K]> | null {
  if (!enabled) return null;
  return (backend.accelerated[name] as NonNullable<Accelerations[K]> | undefined) ?? null;
}

/**
 * Runs fn with every acceleration off (synchronously: the forward and the backward of the ops
 * under test both happen inside fn).
 */
export function withoutAccelerations<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('withoutAccelerations: fn must be synchronous (await outside it)');
    return r;
  } finally {
    enabled = prev;
  }
}

export function accelerationsEnabled(): boolean {
  return enabled;
}
