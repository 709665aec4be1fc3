/** Gathering and scattering along an axis, one-hot encoding, and padding. */
import { record } from '../core/autograd.js';
import { formatShape, normalizeAxis, sizeOf } from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { add } from './binary.js';
import { binaryRaw } from './raw.js';
import { arange, full } from './creation.js';
import { concat, expand, flip, narrow, reshape } from './shape.js';
import { checkTensor, contiguousView, OpError, sameBackend } from './util.js';
import { cast } from './shape.js';

function checkIndex(op: string, index: Tensor): void {
  checkTensor(op, index, 'index');
  if (index.dtype !== 'int32') throw new OpError(`${op}: index must be int32, got ${index.dtype} ${formatShape(index.shape)}`);
}

function splitAt(shape: readonly number[], a: number): [number, number, number] {
  return [sizeOf(shape.slice(0, a)), shape[a]!, sizeOf(shape.slice(a + 1))];
}

function gatherKernel(x: Tensor, axis: number, index: Tensor): Tensor {
  const [outer, size, inner] = splitAt(x.shape, axis);
  const count = index.shape[axis]!;
  return fromStorage(x.backend.gather(x.storage, index.storage, outer, size, inner, count), index.shape, x.dtype);
}

function scatterKernel(src: Tensor, axis: number, index: Tensor, targetShape: readonly number[]): Tensor {
  const [outer, size, inner] = splitAt(targetShape, axis);
  const count = index.shape[axis]!;
  return fromStorage(src.backend.scatterAdd(src.storage, index.storage, outer, size, inner, count), targetShape, src.dtype);
}

/**
 * torch.gather: out[..., j, ...] = x[..., index[..., j, ...], ...] along `axis`. index has x's rank
 * and x's sizes on every other axis. Out-of-range indices are an error on the CPU backend.
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  checkTensor('gather', x);
  checkIndex('gather', index);
  sameBackend('gather', x, index);
  const a = normalizeAxis('gather', axis, x.rank);
  if (index.rank !== x.rank || index.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new OpError(`gather: index ${formatShape(index.shape)} must match input ${formatShape(x.shape)} on every axis except ${a}`);
  }
  const y = gatherKernel(x, a, index);
  return record('gather', [x], y, (g) => [scatterKernel(g, a, index, x.shape)]);
}

/** Rows (or slices along `axis`) picked by a 1-D int32 index. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  checkTensor('indexSelect', x);
  checkIndex('indexSelect', index);
  if (index.rank !== 1) throw new OpError(`indexSelect: index must be 1-D, got ${formatShape(index.shape)}`);
  const a = normalizeAxis('indexSelect', axis, x.rank);
  const shape = [...x.shape];
  shape[a] = index.shape[0]!;
  const viewShape = x.shape.map((_, i) => (i === a ? index.shape[0]! : 1));
  const full_ = expand(reshape(index, viewShape), shape);
  return gather(x, a, full_);
}

/** base + scatter of src into positions `index` along axis (torch.scatter_add). */
export function scatterAdd(base: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  checkTensor('scatterAdd', base, 'base');
  checkTensor('scatterAdd', src, 'src');
  checkIndex('scatterAdd', index);
  const a = normalizeAxis('scatterAdd', axis, base.rank);
  if (index.rank !== base.rank || src.shape.some((d, i) => d !== index.shape[i]) || index.shape.some((d, i) => i !== a && d !== base.shape[i])) {
    throw new OpError(`scatterAdd: src ${formatShape(src.shape)} and index ${formatShape(index.shape)} must be equal, and match base ${formatShape(base.shape)} except on axis ${a}`);
  }
  const scattered = scatterKernel(src, a, index, base.shape);
  const s = record('scatterAdd', [src], scattered, (g) => [gatherKernel(g, a, index)]);
  return add(base, s);
}

/** int32 class indices [...] → float [..., numClasses] */
export function oneHot(labels: Tensor, numClasses: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  checkIndex('oneHot', labels);
  if (!Number.isInteger(numClasses) || numClasses <= 0) throw new OpError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const classes = arange(0, numClasses, 1, { dtype: 'int32', backend: labels.backend });
  const eq = binaryRaw('eq', reshape(labels, [...labels.shape, 1]), classes);
  return cast(eq, dtype);
}

export type PadMode = 'constant' | 'reflect';

/**
 * Pad the trailing axes as torch.nn.functional.pad: pads = [lastBefore, lastAfter,
 * secondLastBefore, secondLastAfter, ...].
 */
export function pad(x: Tensor, pads: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  checkTensor('pad', x);
  if (pads.length % 2 !== 0 || pads.length / 2 > x.rank) throw new OpError(`pad: pads must come in (before, after) pairs for at most ${x.rank} axes, got [${pads.join(', ')}]`);
  for (const p of pads) if (!Number.isInteger(p) || p < 0) throw new OpError(`pad: pads must be non-negative integers, got [${pads.join(', ')}]`);
  if (mode === 'reflect') {
    let y = x;
    for (let i = 0; i < pads.length / 2; i++) {
      const axis = x.rank - 1 - i;
      const before = pads[2 * i]!, after = pads[2 * i + 1]!;
      const dim = x.shape[axis]!;
      if (before >= dim || after >= dim) throw new OpError(`pad: reflect padding (${before}, ${after}) must be smaller than axis ${axis} of size ${dim} in ${formatShape(x.shape)}`);
      const parts: Tensor[] = [];
      if (before > 0) parts.push(flip(narrow(y, axis, 1, before), axis));
      parts.push(y);
      if (after > 0) parts.push(flip(narrow(y, axis, dim - 1 - after, after), axis));
      y = parts.length > 1 ? concat(parts, axis) : y;
    }
    return y;
  }
  if (mode !== 'constant') throw new OpError(`pad: mode must be 'constant' or 'reflect', got '${mode as string}'`);
  const shape = [...x.shape];
  const offsets = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    const axis = x.rank - 1 - i;
    shape[axis] = shape[axis]! + pads[2 * i]! + pads[2 * i + 1]!;
    offsets[axis] = pads[2 * i]!;
  }
  const out = full(shape, value, { dtype: x.dtype, backend: x.backend });
  const outStrides = contiguousView(shape).strides;
  if (x.size > 0) {
    x.backend.assign(out.storage, { shape: x.shape, strides: outStrides, offset: offsets.reduce((acc, o, i) => acc + o * outStrides[i]!, 0) }, { storage: x.storage, view: contiguousView(x.shape) });
  }
  return record('pad', [x], out, (g) => {
    let r = g;
    offsets.forEach((o, axis) => { if (shape[axis] !== x.shape[axis]) r = narrow(r, axis, o, x.shape[axis]!); });
    return [r];
  });
}
