/**
 * Kernel calls on tensors without gradients: the building blocks of the gradient rules and of the
 * composed forms of fused kernels. Nothing here records a graph node, and nothing here imports an
 * op file, so every op file can use these without an import cycle.
 */
import { accelerated } from '../core/accelerations.js';
import type { BinaryOp, ReduceOp, StridedView, UnaryOp } from '../core/backend.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, formatShape, shapesEqual, sizeOf, type Shape } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { broadcastOperand, checkSameDType, contiguousView, OpError, sameBackend } from './util.js';

export function unaryRaw(op: UnaryOp, x: Tensor, params?: readonly number[]): Tensor {
  return fromStorage(x.backend.unary(op, x.storage, params), x.shape, x.dtype);
}

/** a·x + b, one kernel */
export function affineRaw(x: Tensor, a: number, b: number): Tensor {
  return unaryRaw('affine', x, [a, b]);
}

/** The broadcasting binary kernel. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const backend = sameBackend(op, a, b);
  checkSameDType(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  return fromStorage(backend.binary(op, broadcastOperand(a, shape), broadcastOperand(b, shape), shape), shape, a.dtype);
}

/** cond ? a : b with broadcasting; output dtype is a's */
export function whereRaw(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const backend = sameBackend('where', cond, a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  return fromStorage(backend.where(broadcastOperand(cond, shape), broadcastOperand(a, shape), broadcastOperand(b, shape), shape), shape, a.dtype);
}

/**
 * relu's gradient g·[y > 0], read off the output (y > 0 exactly where x > 0): g where y > 0, else
 * 0, as PyTorch's threshold_backward (a NaN g where y <= 0 gives 0, not NaN·0). This composition
 * is the definition; a backend listing reluBackward runs it in one pass without the mask tensor.
 */
export function reluGradRaw(y: Tensor, g: Tensor): Tensor {
  const fused = accelerated(y.backend, 'reluBackward');
  if (fused) return fromStorage(fused(g.storage, y.storage), y.shape, y.dtype);
  return whereRaw(binaryRaw('gt', y, scalarLike(y, 0)), g, scalarLike(g, 0));
}

/** a scalar tensor of t's dtype on t's backend */
export function scalarLike(t: Tensor, value: number): Tensor {
  return fromStorage(t.backend.fill(1, t.dtype, value), [], t.dtype);
}

/** Copy `t` read through `view` (strides/offset relative to t's contiguous storage). */
export function stridedCopy(t: Tensor, view: StridedView): Tensor {
  return fromStorage(t.backend.copy({ storage: t.storage, view }), view.shape, t.dtype);
}

/** A new tensor of `shape` sharing t's storage (same size). */
export function reshapeRaw(t: Tensor, shape: Shape): Tensor {
  if (sizeOf(shape) !== t.size) throw new OpError(`reshape: cannot reshape ${formatShape(t.shape)} into ${formatShape(shape)}`);
  return new Tensor(t.shareStorage(), shape, t.dtype);
}

/** t broadcast to `shape`, materialised */
export function expandRaw(t: Tensor, shape: Shape): Tensor {
  if (shapesEqual(t.shape, shape)) return t;
  return stridedCopy(t, { shape, strides: broadcastStrides(t.shape, shape), offset: 0 });
}

/** t with its axes permuted, materialised */
export function permuteRaw(t: Tensor, dims: readonly number[]): Tensor {
  const strides = contiguousStrides(t.shape);
  return stridedCopy(t, { shape: dims.map((d) => t.shape[d]!), strides: dims.map((d) => strides[d]!), offset: 0 });
}

/** Sorted axes as [first, last] runs of consecutive axes. */
function contiguousRuns(axes: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && a === last[1] + 1) last[1] = a;
    else runs.push([a, a]);
  }
  return runs;
}

/**
 * Reduce the sorted `axes` of x, keeping them as size 1. Axes that are not one contiguous block (a
 * batch-norm's [0, 2, 3]) are reduced one contiguous run at a time, innermost run first, so no
 * transposed copy is made. argmax/argmin take one axis (or all), always one run.
 */
export function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  const shape = x.shape;
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const dtype = op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype;
  if (axes.length === 0) return fromStorage(x.backend.reduce(op, x.storage, 1, 1, x.size), keptShape, dtype);
  if (axes.some((a) => shape[a] === 0) && op !== 'sum' && op !== 'prod') {
    throw new OpError(`${op}: cannot reduce an empty dimension (shape ${formatShape(shape)}, axes [${axes.join(', ')}])`);
  }
  const runs = contiguousRuns(axes);
  if (runs.length > 1 && (op === 'argmax' || op === 'argmin')) throw new OpError(`${op}: reduces one axis, got [${axes.join(', ')}]`);
  let current = x;
  let currentShape = [...shape];
  for (let r = runs.length - 1; r >= 0; r--) {
    const [first, last] = runs[r]!;
    const outer = sizeOf(currentShape.slice(0, first));
    const red = sizeOf(currentShape.slice(first, last + 1));
    const inner = sizeOf(currentShape.slice(last + 1));
    currentShape = currentShape.map((d, i) => (i >= first && i <= last ? 1 : d));
    const next = fromStorage(x.backend.reduce(op, current.storage, outer, red, inner), currentShape, dtype);
    if (current !== x) current.dispose();
    current = next;
  }
  return current;
}

/** Sum g down to `shape` (undoing broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new OpError(`sumTo: cannot reduce ${formatShape(g.shape)} to the larger shape ${formatShape(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const reduced = axes.length ? reduceRaw('sum', g, axes) : g;
  return reshapeRaw(reduced, shape);
}

/** A zero tensor of `shape` with `src` written into the window starting at `offsets` (per axis). */
export function placeRaw(src: Tensor, shape: Shape, offsets: readonly number[], fillValue = 0): Tensor {
  const out = fromStorage(src.backend.fill(sizeOf(shape), src.dtype, fillValue), shape, src.dtype);
  const strides = contiguousStrides(shape);
  if (src.size > 0) {
    const offset = offsets.reduce((acc, o, i) => acc + o * strides[i]!, 0);
    src.backend.assign(out.storage, { shape: src.shape, strides, offset }, { storage: src.storage, view: contiguousView(src.shape) });
  }
  return out;
}
