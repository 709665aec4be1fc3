/** L0 as sparse attacks count it: changed pixels, not changed entries. */
import type { Tensor } from '../core/tensor.js';
import { ne } from '../ops/binary.js';
import { max, sum } from '../ops/reduce.js';
import { cast } from '../ops/shape.js';
import { sampleAxes } from './steps.js';

/**
 * L0 per sample [N]: the number of pixels where δ is non-zero in any channel. For images
 * [N, C, H, W] a pixel is one (h, w) position across its C channels (changing all three colours of
 * one pixel costs 1, as in Sparse-RS); for any other rank every entry after the batch axis counts.
 */
export function changedPixels(delta: Tensor): Tensor {
  const changed = cast(ne(delta, 0), delta.dtype);
  const perPixel = delta.rank === 4 ? max(changed, 1) : changed;
  return sum(perPixel, sampleAxes(perPixel));
}
