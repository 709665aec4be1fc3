/**
 * Effective FLOPs of a training step: the arithmetic of the direct algorithms for every
 * convolution pass and matrix product the step asks the backend for (2 per multiply-add), counted
 * while the step runs. Winograd does fewer multiplies for the same result, so its "effective"
 * GFLOPS can exceed what the multiplies alone would allow; elementwise work is not counted.
 */
import type { Backend, Conv2dParams, MatmulParams } from '../../src/core/backend.js';

export function convFlops(p: Conv2dParams): number {
  return 2 * p.n * p.outC * (p.inC / p.groups) * p.kH * p.kW * p.outH * p.outW;
}

/**
 * runs `step` with the backend's convolutions and matmuls counted, the primitives and the
 * accelerated passes the ops call instead of them (a backward convolution usually runs there);
 * returns its result and the FLOPs
 */
export async function countFlops<T>(backend: Backend, step: () => Promise<T>): Promise<{ result: T; flops: number }> {
  let flops = 0, depth = 0;
  const restore: [Record<string, unknown>, string, unknown, boolean][] = [];
  const wrap = (target: Record<string, unknown>, name: string, count: (args: unknown[]) => number) => {
    const original = target[name];
    if (typeof original !== 'function') return;
    restore.push([target, name, original, Object.prototype.hasOwnProperty.call(target, name)]);
    // an accelerated pass that falls back to a primitive is counted once, at the outer call
    target[name] = (...args: unknown[]) => {
      if (depth === 0) flops += count(args);
      depth++;
      try { return (original as (...a: unknown[]) => unknown).apply(target, args); } finally { depth--; }
    };
  };
  const conv = (args: unknown[]) => convFlops(args[2] as Conv2dParams);
  const b = backend as unknown as Record<string, unknown>;
  for (const name of ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight']) wrap(b, name, conv);
  wrap(b, 'matmul', (args) => { const p = args[2] as MatmulParams; return 2 * p.batch * p.m * p.n * p.k; });
  const accelerated = backend.accelerated as unknown as Record<string, unknown>;
  for (const name of ['conv2dBackwardInput', 'conv2dBackwardWeight']) wrap(accelerated, name, conv);
  try {
    return { result: await step(), flops };
  } finally {
    for (const [target, name, original, own] of restore.reverse()) {
      if (own) target[name] = original; else delete target[name];
    }
  }
}
