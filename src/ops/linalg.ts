/** Matrix products. Transposed operands are passed to the kernel as flags, never copied. */
import type { MatmulParams } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { broadcastShapes, formatShape, sizeOf } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { add } from './binary.js';
import { sumTo } from './raw.js';
import { expand, reshape } from './shape.js';
import { checkFloat, checkSameDType, checkTensor, OpError, sameBackend } from './util.js';

/**
 * The kernel call: a [..., m, k] (or [..., k, m] when transA) times b [..., k, n] (or [..., n, k]
 * when transB), batch dims broadcast. Returns [...batch, m, n] without gradient.
 */
function matmulKernel(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const backend = sameBackend('matmul', a, b);
  const m = transA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const ka = transA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  const kb = transB ? b.shape[b.rank - 1]! : b.shape[b.rank - 2]!;
  const n = transB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  if (ka !== kb) {
    throw new OpError(`matmul: inner dimensions differ: ${formatShape(a.shape)}${transA ? 'ᵀ' : ''} @ ${formatShape(b.shape)}${transB ? 'ᵀ' : ''} (${ka} vs ${kb})`);
  }
  const aBatch = a.shape.slice(0, -2), bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes('matmul', aBatch, bBatch);
  const batch = sizeOf(batchShape);
  // a batch operand that is neither full nor a single matrix is materialised by expand
  const fit = (t: Tensor, tb: readonly number[]): [Tensor, number] => {
    const mat = t.shape[t.rank - 2]! * t.shape[t.rank - 1]!;
    if (sizeOf(tb) === 1) return [t, 0];
    if (sizeOf(tb) === batch) return [t, mat];
    return [expand(t, [...batchShape, t.shape[t.rank - 2]!, t.shape[t.rank - 1]!]), mat];
  };
  const [A, aStride] = fit(a, aBatch);
  const [B, bStride] = fit(b, bBatch);
  const p: MatmulParams = { batch, m, n, k: ka, transA, transB, aBatchStride: aStride, bBatchStride: bStride };
  return fromStorage(backend.matmul(A.storage, B.storage, p), [...batchShape, m, n], a.dtype);
}

/** a @ b with batch broadcasting; 1-D operands are promoted as in NumPy. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('matmul', a, 'a');
  checkTensor('matmul', b, 'b');
  checkFloat('matmul', a);
  checkSameDType('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) throw new OpError(`matmul: scalars are not matrices (${formatShape(a.shape)} @ ${formatShape(b.shape)}); use mul`);
  const A = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
  const B = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
  return matmulRecorded(A, B, a.rank === 1, b.rank === 1);
}

function matmulRecorded(a: Tensor, b: Tensor, squeezeM: boolean, squeezeN: boolean): Tensor {
  let y = matmulKernel(a, b, false, false);
  y = record('matmul', [a, b], y, (g, needs) => [
    // dA = g @ bᵀ, dB = aᵀ @ g (transposes read in place by the kernel)
    needs[0] ? sumTo(matmulKernel(g, b, false, true), a.shape) : null,
    needs[1] ? sumTo(matmulKernel(a, g, true, false), b.shape) : null,
  ]);
  if (squeezeM || squeezeN) {
    const shape = [...y.shape];
    if (squeezeN) shape.splice(shape.length - 1, 1);
    if (squeezeM) shape.splice(shape.length - (squeezeN ? 1 : 2), 1);
    return reshape(y, shape);
  }
  return y;
}

/** y = x·Wᵀ + b with W [out, in] (PyTorch layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('linear', x);
  checkTensor('linear', weight, 'weight');
  if (weight.rank !== 2) throw new OpError(`linear: weight must be [out, in], got ${formatShape(weight.shape)}`);
  if (x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new OpError(`linear: input ${formatShape(x.shape)} has ${x.shape[x.rank - 1]} features but weight ${formatShape(weight.shape)} expects ${weight.shape[1]}`);
  }
  const x2 = x.rank === 2 ? x : reshape(x, [-1, weight.shape[1]!]);
  let y = matmulKernel(x2, weight, false, true);
  y = record('linear', [x2, weight], y, (g, needs) => [
    needs[0] ? matmulKernel(g, weight, false, false) : null,
    needs[1] ? matmulKernel(g, x2, true, false) : null,
  ]);
  if (bias) {
    checkTensor('linear', bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== weight.shape[0]) throw new OpError(`linear: bias ${formatShape(bias.shape)} must be [${weight.shape[0]}]`);
    y = add(y, bias);
  }
  return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), weight.shape[0]!]);
}
