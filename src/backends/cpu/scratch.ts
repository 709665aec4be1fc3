/**
 * Reusable float64 work buffers (packed GEMM panels, im2col columns, float64 accumulators for
 * float32 outputs). Kernels are synchronous and never re-entered, so one buffer per named slot is
 * enough; a kernel that needs two buffers at once uses two slots. Contents are garbage on return.
 */

/** Buffers above this many elements (64 MiB) are not kept between calls. */
const KEEP_LIMIT = 8 * 1024 * 1024;

export type ScratchSlot = 'packA' | 'packB' | 'gemmOut' | 'columns' | 'accumulator' | 'plane';

export class Scratch {
  readonly #slots = new Map<ScratchSlot, Float64Array>();

  /** A Float64Array of exactly `size` elements; its contents are unspecified. */
  get(slot: ScratchSlot, size: number): Float64Array {
    const kept = this.#slots.get(slot);
    if (kept && kept.length >= size) return kept.length === size ? kept : kept.subarray(0, size);
    const fresh = new Float64Array(size);
    if (size <= KEEP_LIMIT) this.#slots.set(slot, fresh);
    return fresh;
  }

  /** Same as get, zero-filled. */
  zeros(slot: ScratchSlot, size: number): Float64Array {
    const a = this.get(slot, size);
    a.fill(0);
    return a;
  }
}
