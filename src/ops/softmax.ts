/** softmax and log-softmax along an axis: the backend's fused kernel where it lists one, else composed. */
import { accelerated } from '../core/accelerations.js';
import { noGrad, record } from '../core/autograd.js';
import { tidy } from '../core/scope.js';
import { normalizeAxis } from '../core/shape.js';
import { fromStorage, type Tensor } from '../core/tensor.js';
import { binaryRaw, reduceRaw, unaryRaw } from './raw.js';
import { permute } from './shape.js';
import { checkFloat, checkTensor, OpError } from './util.js';

/** Bring `axis` last (a copy) so the kernel works on rows; returns the undo. */
function toLastAxis(op: string, x: Tensor, axis: number): [Tensor, (t: Tensor) => Tensor] {
  const a = normalizeAxis(op, axis, x.rank);
  if (a === x.rank - 1) return [x, (t) => t];
  const dims = x.shape.map((_, i) => i).filter((i) => i !== a);
  dims.push(a);
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => { inverse[d] = i; });
  return [permute(x, dims), (t) => permute(t, inverse)];
}

/**
 * Rows of x (last axis): the row maximum is subtracted first, so exp never overflows; a row holding
 * NaN or +∞, or only −∞, gives NaN (as PyTorch).
 */
function softmaxRows(x: Tensor, log: boolean): Tensor {
  const inner = x.shape[x.rank - 1]!;
  const outer = inner === 0 ? 0 : x.size / inner;
  const fused = accelerated(x.backend, 'softmax');
  if (fused) return fromStorage(fused(x.storage, outer, inner, log), x.shape, x.dtype);
  if (x.size === 0) return fromStorage(x.backend.alloc(0, x.dtype), x.shape, x.dtype);
  return noGrad(() => tidy(() => {
    const shifted = binaryRaw('sub', x, reduceRaw('max', x, [x.rank - 1]));
    const sum = reduceRaw('sum', unaryRaw('exp', shifted), [x.rank - 1]);
    return log ? binaryRaw('sub', shifted, unaryRaw('log', sum)) : binaryRaw('div', unaryRaw('exp', shifted), sum);
  }));
}

function softmaxFamily(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  checkTensor(op, x);
  checkFloat(op, x);
  if (x.rank === 0) throw new OpError(`${op}: input must have at least one axis, got a scalar`);
  const [xl, undo] = toLastAxis(op, x, axis);
  const log = op === 'logSoftmax';
  const y = softmaxRows(xl, log);
  const last = [xl.rank - 1];
  const recorded = record(op, [xl], y, (g) => {
    // d/dx log softmax: g − softmax·Σg;  d/dx softmax: y∘(g − Σ g∘y)
    if (log) return [binaryRaw('sub', g, binaryRaw('mul', unaryRaw('exp', y), reduceRaw('sum', g, last)))];
    return [binaryRaw('mul', y, binaryRaw('sub', g, reduceRaw('sum', binaryRaw('mul', g, y), last)))];
  });
  return undo(recorded);
}

export const softmax = (x: Tensor, axis = -1) => softmaxFamily('softmax', x, axis);
export const logSoftmax = (x: Tensor, axis = -1) => softmaxFamily('logSoftmax', x, axis);
