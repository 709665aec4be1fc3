/**
 * relu(batchNorm(x) + residual): a batch norm followed by a ReLU (a ResNet block's first half) or
 * by a residual add and a ReLU (its end). The composition of batchNorm, add and relu is the
 * definition and runs in evaluation mode and on backends without the fused kernels; in training,
 * a backend listing batchNormReluForward/Backward runs it in one kernel each way, without the
 * batch-norm output, the sum and ReLU's mask as tensors of their own.
 *
 * Gradients: g' = g·[out > 0] (ReLU's, read off the output); the residual's is g'; x's, the
 * weight's and the bias's are batch norm's gradients of g'.
 */
import { accelerated } from '../core/accelerations.js';
import { record } from '../core/autograd.js';
import { formatShape, shapesEqual } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { batchNorm, checkBatchNorm, updateRunningStatistics, type BatchNormOptions } from './batch-norm.js';
import { add } from './binary.js';
import { relu } from './unary.js';
import { checkTensor, OpError } from './util.js';

export function batchNormRelu(x: Tensor, o: BatchNormOptions, residual: Tensor | null = null): Tensor {
  const setup = checkBatchNorm('batchNormRelu', x, o);
  if (residual) {
    checkTensor('batchNormRelu', residual, 'residual');
    if (!shapesEqual(residual.shape, x.shape)) throw new OpError(`batchNormRelu: residual ${formatShape(residual.shape)} must have x's shape ${formatShape(x.shape)}`);
    if (residual.dtype !== x.dtype || residual.backend !== x.backend) throw new OpError(`batchNormRelu: residual is ${residual.describe()} but x is ${x.describe()}`);
  }
  const forward = accelerated(x.backend, 'batchNormReluForward'), backward = accelerated(x.backend, 'batchNormReluBackward');
  const p = setup.training;
  if (!p || !forward || !backward) {
    const y = batchNorm(x, o);
    return relu(residual ? add(y, residual) : y);
  }
  const weight = o.weight ?? null, bias = o.bias ?? null;
  const r = forward(x.storage, residual?.storage ?? null, weight?.storage ?? null, bias?.storage ?? null, p);
  const out = fromStorage(r.out, x.shape, x.dtype);
  const batchMean = fromStorage(r.mean, [p.c], x.dtype), batchVar = fromStorage(r.variance, [p.c], x.dtype);
  updateRunningStatistics(o, batchMean, batchVar, p);
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : []), ...(residual ? [residual] : [])];
  record('batchNormRelu', inputs, out, (g, needs) => {
    const wantResidual = residual !== null && needs[inputs.length - 1] === true;
    const d = backward(g.storage, out.storage, x.storage, batchMean.storage, batchVar.storage, weight?.storage ?? null, p, wantResidual);
    const channel = (s: typeof d.dx) => fromStorage(s, [p.c], x.dtype);
    const dWeight = channel(d.dWeight), dBias = channel(d.dBias);
    const grads: Array<Tensor | null> = [fromStorage(d.dx, x.shape, x.dtype)];
    if (weight) grads.push(dWeight); else dWeight.dispose();
    if (bias) grads.push(dBias); else dBias.dispose();
    if (residual) grads.push(d.dResidual ? fromStorage(d.dResidual, x.shape, x.dtype) : null);
    return grads;
  });
  // the statistics live as long as the graph needs them
  if (!out.gradNode) { batchMean.dispose(); batchVar.dispose(); }
  return out;
}
