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

/** runs `step` with the backend's convolutions and matmuls counted; returns its result and the FLOPs */
export async function countFlops<T>(backend: Backend, step: () => Promise<T>): Promise<{ result: T; flops: number }> {
  let flops = 0;
  const b = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  const wrap = (name: string, count: (args: unknown[]) => number) => {
    const original = b[name]!;
    b[name] = (...args: unknown[]) => { flops += count(args); return original.apply(backend, args); };
  };
  const conv = (args: unknown[]) => convFlops(args[2] as Conv2dParams);
  wrap('conv2d', conv);
  wrap('conv2dBackwardInput', conv);
  wrap('conv2dBackwardWeight', conv);
  wrap('matmul', (args) => { const p = args[2] as MatmulParams; return 2 * p.batch * p.m * p.n * p.k; });
  try {
    return { result: await step(), flops };
  } finally {
    for (const name of ['conv2d', 'conv2dBackwardInput', 'conv2dBackwardWeight', 'matmul']) delete b[name];
  }
}
