/** Host readback of a temporary tensor, disposing it afterwards. */
import type { TypedArray } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';

export async function readAndDispose(t: Tensor): Promise<TypedArray> {
  try {
    return await t.data();
  } finally {
    t.dispose();
  }
}
