/**
 * Batch norm with a residual add and a ReLU on the wasm kernels (kernels/batch-norm.ts, its ReLU
 * drivers; the arguments are checked by the caller through KernelChecks.batchNorm): out =
 * relu(batchNorm(x) + residual), and the batch-norm gradients of g' = g·[out > 0], with g' itself
 * as the residual's gradient when asked for.
 */
import type { BatchNormParams } from '../../core/backend.js';
import type { WasmKernels } from './calls/kernel-calls.js';
import { BN_RELU_BACKWARD_DRIVER, BN_RELU_FORWARD_DRIVER } from './kernels/batch-norm.js';
import { need } from './runtime.js';

export function batchNormReluForwardInto(k: WasmKernels, x: Float32Array, residual: Float32Array | null, w: Float32Array | null,
  b: Float32Array | null, out: Float32Array, mean: Float32Array, variance: Float32Array, p: BatchNormParams): void {
  const kernel = 'batchNormReluForward', count = p.outer * p.c * p.inner;
  need(kernel, 'x', x, count);
  if (residual) need(kernel, 'residual', residual, count);
  for (const [name, a] of [['weight', w], ['bias', b]] as const) if (a) need(kernel, name, a, p.c);
  const optional = [residual, w, b].filter((a): a is Float32Array => a !== null);
  k.withOutputs(kernel, [[out, count], [mean, p.c], [variance, p.c]], [x, ...optional], ([O, M, V], [X, ...rest]) => {
    const [R, W, B] = [residual, w, b].map((a) => (a ? rest.shift()! : 0));
    k.dispatchBatchNorm(BN_RELU_FORWARD_DRIVER, p, { x: X!, r: R!, w: W!, b: B!, y: O!, mean: M!, variance: V!, dy: 0, dw: 0, db: 0, o: 0, dr: 0 });
  });
}

/** dResidual: where g' goes (null: not wanted; dx holds it until it is overwritten) */
export function batchNormReluBackwardInto(k: WasmKernels, g: Float32Array, out: Float32Array, x: Float32Array, mean: Float32Array,
  variance: Float32Array, w: Float32Array | null, dx: Float32Array, dWeight: Float32Array, dBias: Float32Array,
  dResidual: Float32Array | null, p: BatchNormParams): void {
  const kernel = 'batchNormReluBackward', count = p.outer * p.c * p.inner;
  for (const [name, a] of [['g', g], ['out', out], ['x', x]] as const) need(kernel, name, a, count);
  for (const [name, a] of [['mean', mean], ['variance', variance], ['weight', w]] as const) if (a) need(kernel, name, a, p.c);
  const outputs: Array<[Float32Array, number]> = [[dx, count], [dWeight, p.c], [dBias, p.c], ...(dResidual ? [[dResidual, count] as [Float32Array, number]] : [])];
  k.withOutputs(kernel, outputs, [g, out, x, mean, variance, ...(w ? [w] : [])], ([DX, DW, DB, DR], [G, O, X, M, V, W]) => {
    k.dispatchBatchNorm(BN_RELU_BACKWARD_DRIVER, p, { x: X!, w: W ?? 0, b: 0, y: DX!, mean: M!, variance: V!, dy: G!, dw: DW!, db: DB!, r: 0, o: O!, dr: DR ?? 0 });
  });
}
