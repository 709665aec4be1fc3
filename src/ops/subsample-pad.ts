/**
 * He et al.'s option-A shortcut as one op: x[:, :, ::stride, ::stride] with `before` zero channels
 * in front and `after` behind, i.e. pad(slice(x, …), [0, 0, 0, 0, before, after]). Written into
 * the zero-filled output (forward: a fill, the strided copy of the picked values and an assign
 * of contiguous runs; backward: a fill and one strided assign from the gradient's view, where
 * pad's narrow and slice's gradient take a copy, a fill and an assign).
 */
import type { StridedView } from '../core/backend.js';
import { record } from '../core/autograd.js';
import { contiguousStrides, formatShape } from '../core/shape.js';
import type { Tensor } from '../core/tensor.js';
import { full } from './creation.js';
import { checkTensor, OpError } from './util.js';

export function subsamplePadChannels(x: Tensor, stride: number, before: number, after: number): Tensor {
  checkTensor('subsamplePadChannels', x);
  if (x.rank !== 4) throw new OpError(`subsamplePadChannels: x must be [N, C, H, W], got ${formatShape(x.shape)}`);
  for (const [name, v, min] of [['stride', stride, 1], ['before', before, 0], ['after', after, 0]] as const) {
    if (!Number.isSafeInteger(v) || v < min) throw new OpError(`subsamplePadChannels: ${name} must be an integer >= ${min}, got ${v}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = Math.ceil(h / stride), ow = Math.ceil(w / stride);
  const shape = [n, c + before + after, oh, ow];
  const outStrides = contiguousStrides(shape), xStrides = contiguousStrides(x.shape);
  const picked = [n, c, oh, ow];
  // x's every stride-th row and column, and where they sit in the output (after the zero channels in front)
  const inX: StridedView = { shape: picked, strides: [xStrides[0]!, xStrides[1]!, stride * xStrides[2]!, stride], offset: 0 };
  const inOut: StridedView = { shape: picked, strides: outStrides, offset: before * outStrides[1]! };
  const out = full(shape, 0, { dtype: x.dtype, backend: x.backend });
  if (x.size > 0) {
    // gathered by the strided copy first (a kernel on every backend), then placed in contiguous runs
    const picks = x.backend.copy({ storage: x.storage, view: inX });
    x.backend.assign(out.storage, inOut, { storage: picks, view: { shape: picked, strides: contiguousStrides(picked), offset: 0 } });
    x.backend.free(picks);
  }
  return record('subsamplePadChannels', [x], out, (g) => {
    const dx = full(x.shape, 0, { dtype: g.dtype, backend: g.backend });
    if (x.size > 0) g.backend.assign(dx.storage, inX, { storage: g.storage, view: inOut });
    return [dx];
  });
}
