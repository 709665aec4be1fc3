/**
 * Shape ops. Tensors are always contiguous: reshape shares storage, every other view op
 * (permute, expand, slice, flip) materialises through the backend's strided copy.
 */
import type { StridedView } from '../core/backend.js';
import { record } from '../core/autograd.js';
import type { DType } from '../core/dtype.js';
import {
  assertValidShape, broadcastStrides, contiguousStrides, formatShape, normalizeAxes, normalizeAxis,
  shapesEqual, sizeOf, type Shape,
} from '../core/shape.js';
import { fromStorage, Tensor } from '../core/tensor.js';
import { full } from './creation.js';
import { checkTensor, contiguousView, OpError, sameBackend } from './util.js';
import { stridedCopy, sumTo } from './raw.js';

// ---------------------------------------------------------------- reshape family (no copy)

export function reshape(t: Tensor, shape: Shape): Tensor {
  checkTensor('reshape', t);
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new OpError(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  let target = [...shape];
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || t.size % known !== 0) {
      throw new OpError(`reshape: cannot reshape ${formatShape(t.shape)} (${t.size} elements) into ${formatShape(shape)}`);
    }
    target = shape.map((d) => (d === -1 ? t.size / known : d));
  }
  assertValidShape('reshape', target);
  if (sizeOf(target) !== t.size) {
    throw new OpError(`reshape: cannot reshape ${formatShape(t.shape)} (${t.size} elements) into ${formatShape(shape)} (${sizeOf(target)} elements)`);
  }
  if (shapesEqual(target, t.shape) && !t.requiresGrad) return new Tensor(t.shareStorage(), target, t.dtype);
  const out = new Tensor(t.shareStorage(), target, t.dtype);
  const from = t.shape;
  return record('reshape', [t], out, (g) => [reshape(g, from)]);
}

export const view = reshape;

export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', t);
  if (t.rank === 0) return reshape(t, [1]);
  const s = normalizeAxis('flatten', startDim, t.rank);
  const e = normalizeAxis('flatten', endDim, t.rank);
  if (s > e) throw new OpError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${formatShape(t.shape)}`);
  const shape = [...t.shape.slice(0, s), sizeOf(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape);
}

export function squeeze(t: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor('squeeze', t);
  const list = axes === undefined
    ? t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)
    : normalizeAxes('squeeze', axes, t.rank);
  for (const a of list) {
    if (t.shape[a] !== 1) throw new OpError(`squeeze: dimension ${a} of ${formatShape(t.shape)} has size ${t.shape[a]}, expected 1`);
  }
  return reshape(t, t.shape.filter((_, i) => !list.includes(i)));
}

export function unsqueeze(t: Tensor, axis: number): Tensor {
  checkTensor('unsqueeze', t);
  const a = normalizeAxis('unsqueeze', axis, t.rank + 1);
  const shape = [...t.shape];
  shape.splice(a, 0, 1);
  return reshape(t, shape);
}

// ---------------------------------------------------------------- copies

export function clone(t: Tensor): Tensor {
  checkTensor('clone', t);
  const out = stridedCopy(t, contiguousView(t.shape));
  return record('clone', [t], out, (g) => [g]);
}

/** A new tensor sharing storage, cut from the graph. */
export function detach(t: Tensor): Tensor {
  checkTensor('detach', t);
  return new Tensor(t.shareStorage(), t.shape, t.dtype);
}

export function cast(t: Tensor, dtype: DType, copy = false): Tensor {
  checkTensor('cast', t);
  if (t.dtype === dtype) return copy ? clone(t) : t;
  const out = fromStorage(t.backend.cast(t.storage, dtype), t.shape, dtype);
  if (dtype === 'int32' || t.dtype === 'int32') return out; // no gradient through integer casts
  const from = t.dtype;
  return record('cast', [t], out, (g) => [cast(g, from)]);
}

export function permute(t: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', t);
  if (dims.length !== t.rank) throw new OpError(`permute: got ${dims.length} dims [${dims.join(', ')}] for a tensor of rank ${t.rank} ${formatShape(t.shape)}`);
  const axes = dims.map((d) => normalizeAxis('permute', d, t.rank));
  if (new Set(axes).size !== axes.length) throw new OpError(`permute: dims [${dims.join(', ')}] repeat an axis`);
  const strides = contiguousStrides(t.shape);
  const shape = axes.map((a) => t.shape[a]!);
  const out = stridedCopy(t, { shape, strides: axes.map((a) => strides[a]!), offset: 0 });
  const inverse = new Array<number>(axes.length);
  axes.forEach((a, i) => { inverse[a] = i; });
  return record('permute', [t], out, (g) => [permute(g, inverse)]);
}

/** Swap two axes (default: the last two, i.e. a batched matrix transpose). */
export function transpose(t: Tensor, dim0 = -2, dim1 = -1): Tensor {
  checkTensor('transpose', t);
  if (t.rank < 2 && dim0 === -2 && dim1 === -1) return t;
  const a = normalizeAxis('transpose', dim0, t.rank);
  const b = normalizeAxis('transpose', dim1, t.rank);
  const dims = t.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permute(t, dims);
}

export function expand(t: Tensor, shape: Shape): Tensor {
  checkTensor('expand', t);
  if (shape.length < t.rank) throw new OpError(`expand: target ${formatShape(shape)} has fewer dimensions than ${formatShape(t.shape)}`);
  const target = shape.map((d, i) => {
    const src = t.shape[t.rank - shape.length + i];
    return d === -1 ? (src ?? -1) : d;
  });
  assertValidShape('expand', target);
  const off = target.length - t.rank;
  t.shape.forEach((d, i) => {
    if (d !== 1 && d !== target[off + i]) {
      throw new OpError(`expand: cannot expand ${formatShape(t.shape)} to ${formatShape(shape)} (dimension ${i} is ${d}, expected 1 or ${target[off + i]})`);
    }
  });
  if (shapesEqual(target, t.shape)) return t;
  const out = stridedCopy(t, { shape: target, strides: broadcastStrides(t.shape, target), offset: 0 });
  const from = t.shape;
  return record('expand', [t], out, (g) => [sumTo(g, from)]);
}

export const broadcastTo = expand;

export function flip(t: Tensor, axes: number | readonly number[]): Tensor {
  checkTensor('flip', t);
  const list = normalizeAxes('flip', axes, t.rank);
  const strides = contiguousStrides(t.shape);
  let offset = 0;
  const s = strides.map((st, i) => {
    if (!list.includes(i)) return st;
    offset += (t.shape[i]! - 1) * st;
    return -st;
  });
  const out = t.size === 0 ? stridedCopy(t, contiguousView(t.shape)) : stridedCopy(t, { shape: t.shape, strides: s, offset });
  return record('flip', [t], out, (g) => [flip(g, list)]);
}

// ---------------------------------------------------------------- slicing and joining

export interface SliceRange {
  start?: number;
  end?: number;
  step?: number;
}

function resolveRange(op: string, r: SliceRange | null | undefined, dim: number, axis: number): [number, number, number] {
  const step = r?.step ?? 1;
  if (!Number.isInteger(step) || step <= 0) throw new OpError(`${op}: step on axis ${axis} must be a positive integer (use flip for reversal), got ${step}`);
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const start = clampIdx(r?.start ?? 0);
  const end = clampIdx(r?.end ?? dim);
  const count = end > start ? Math.ceil((end - start) / step) : 0;
  return [start, count, step];
}

/** Python-style slicing per axis: slice(t, [{start: 1}, null, {start: 0, end: 8, step: 2}]). */
export function slice(t: Tensor, ranges: readonly (SliceRange | null | undefined)[]): Tensor {
  checkTensor('slice', t);
  if (ranges.length > t.rank) throw new OpError(`slice: ${ranges.length} ranges for a tensor of rank ${t.rank} ${formatShape(t.shape)}`);
  const strides = contiguousStrides(t.shape);
  let offset = 0;
  const shape: number[] = [];
  const vstrides: number[] = [];
  const resolved: [number, number, number][] = [];
  t.shape.forEach((dim, i) => {
    const [start, count, step] = resolveRange('slice', ranges[i], dim, i);
    resolved.push([start, count, step]);
    offset += start * strides[i]!;
    shape.push(count);
    vstrides.push(step * strides[i]!);
  });
  const out = stridedCopy(t, { shape, strides: vstrides, offset: sizeOf(shape) === 0 ? 0 : offset });
  const from = t.shape;
  return record('slice', [t], out, (g) => {
    const base = full(from, 0, { dtype: g.dtype, backend: g.backend });
    const fs = contiguousStrides(from);
    const dstView: StridedView = {
      shape: g.shape,
      strides: resolved.map(([, , step], i) => step * fs[i]!),
      offset: resolved.reduce((acc, [start], i) => acc + start * fs[i]!, 0),
    };
    if (g.size > 0) g.backend.assign(base.storage, dstView, { storage: g.storage, view: contiguousView(g.shape) });
    return [base];
  });
}

/** Elements [start, start + length) along one axis. */
export function narrow(t: Tensor, axis: number, start: number, length: number): Tensor {
  checkTensor('narrow', t);
  const a = normalizeAxis('narrow', axis, t.rank);
  if (start < 0 || length < 0 || start + length > t.shape[a]!) {
    throw new OpError(`narrow: range [${start}, ${start + length}) is outside axis ${a} of size ${t.shape[a]} in ${formatShape(t.shape)}`);
  }
  const ranges: (SliceRange | null)[] = t.shape.map(() => null);
  ranges[a] = { start, end: start + length };
  return slice(t, ranges);
}

export function concat(ts: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(ts) || ts.length === 0) throw new OpError('concat: expected a non-empty array of tensors');
  const backend = sameBackend('concat', ...ts);
  const first = ts[0]!;
  const a = normalizeAxis('concat', axis, first.rank);
  for (const t of ts) {
    if (t.dtype !== first.dtype) throw new OpError(`concat: dtypes differ (${ts.map((x) => x.dtype).join(', ')})`);
    if (t.rank !== first.rank || t.shape.some((d: number, i: number) => i !== a && d !== first.shape[i])) {
      throw new OpError(`concat: shapes ${ts.map((x) => formatShape(x.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  const shape = [...first.shape];
  shape[a] = ts.reduce((acc, t) => acc + t.shape[a]!, 0);
  const out = fromStorage(backend.alloc(sizeOf(shape), first.dtype), shape, first.dtype);
  const outStrides = contiguousStrides(shape);
  let pos = 0;
  const offsets: number[] = [];
  for (const t of ts) {
    offsets.push(pos);
    if (t.size > 0) {
      backend.assign(out.storage, { shape: t.shape, strides: outStrides, offset: pos * outStrides[a]! }, { storage: t.storage, view: contiguousView(t.shape) });
    }
    pos += t.shape[a]!;
  }
  return record('concat', ts, out, (g, needs) => ts.map((t, i) => (needs[i] ? narrow(g, a, offsets[i]!, t.shape[a]!) : null)));
}

export const cat = concat;

export function stack(ts: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(ts) || ts.length === 0) throw new OpError('stack: expected a non-empty array of tensors');
  const first = ts[0]!;
  for (const t of ts) {
    checkTensor('stack', t);
    if (!shapesEqual(t.shape, first.shape)) throw new OpError(`stack: all shapes must be equal, got ${ts.map((x) => formatShape(x.shape)).join(', ')}`);
  }
  const a = normalizeAxis('stack', axis, first.rank + 1);
  return concat(ts.map((t) => unsqueeze(t, a)), a);
}

/** Split into chunks of `sizeOrSections` (a number: equal chunks of that size, the last smaller; an array: those sizes). */
export function split(t: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  checkTensor('split', t);
  const a = normalizeAxis('split', axis, t.rank);
  const dim = t.shape[a]!;
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections <= 0) throw new OpError(`split: chunk size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let p = 0; p < dim; p += sizeOrSections) sizes.push(Math.min(sizeOrSections, dim - p));
  } else {
    sizes = [...sizeOrSections];
    if (sizes.reduce((x, y) => x + y, 0) !== dim) throw new OpError(`split: sizes [${sizes.join(', ')}] do not add up to ${dim} (axis ${a} of ${formatShape(t.shape)})`);
  }
  let pos = 0;
  return sizes.map((s) => { const r = narrow(t, a, pos, s); pos += s; return r; });
}
