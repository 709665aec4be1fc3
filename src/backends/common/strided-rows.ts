/**
 * Walking several strided views of one shape together, one contiguous-in-index row at a time.
 *
 * The shape is first simplified: size-1 dimensions are dropped and neighbouring dimensions are
 * merged wherever every operand steps through them as through one (stride[d] = stride[d+1]·size[d+1]).
 * Same-shape contiguous operands collapse to a single row, a per-channel bias over NCHW to rows of
 * H·W with stride 0, and so on; the per-op row loops then run with only a stride per operand.
 */

export interface StridedLike {
  readonly strides: readonly number[];
  readonly offset: number;
}

export interface RowPlan {
  /** the simplified outer dimensions (everything but the row), outermost first */
  readonly outerDims: readonly number[];
  /** per operand, its stride along each outer dimension */
  readonly outerStrides: readonly (readonly number[])[];
  /** per operand, where its first row starts */
  readonly offsets: readonly number[];
  /** elements per row (0 when the shape is empty) */
  readonly rowLength: number;
  /** per operand, its step along a row */
  readonly rowStrides: readonly number[];
}

/** Contiguous row-major strides for shape (the layout of every kernel output). */
export function contiguous(shape: readonly number[]): StridedLike {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return { strides, offset: 0 };
}

export function planRows(shape: readonly number[], operands: readonly StridedLike[]): RowPlan {
  const count = operands.length;
  const offsets = operands.map((o) => o.offset);
  if (shape.some((d) => d === 0)) {
    return { outerDims: [], outerStrides: operands.map(() => []), offsets, rowLength: 0, rowStrides: offsets.map(() => 0) };
  }
  // innermost first, size-1 dimensions dropped, mergeable neighbours merged
  const dims: number[] = [];
  const strides: number[][] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size === 1) continue;
    const here = operands.map((o) => o.strides[d]!);
    const last = dims.length - 1;
    if (last >= 0 && here.every((s, k) => s === strides[last]![k]! * dims[last]!)) {
      dims[last] = dims[last]! * size;
    } else {
      dims.push(size);
      strides.push(here);
    }
  }
  if (dims.length === 0) {
    return { outerDims: [], outerStrides: operands.map(() => []), offsets, rowLength: 1, rowStrides: offsets.map(() => 0) };
  }
  dims.reverse();
  strides.reverse();
  const outer = dims.length - 1;
  return {
    outerDims: dims.slice(0, outer),
    outerStrides: Array.from({ length: count }, (_, k) => strides.slice(0, outer).map((s) => s[k]!)),
    offsets,
    rowLength: dims[outer]!,
    rowStrides: strides[outer]!,
  };
}

/**
 * Calls visit once per row with each operand's starting element in `starts` (the same array,
 * updated in place: read it, do not keep it).
 */
export function forEachRow(plan: RowPlan, visit: (starts: readonly number[]) => void): void {
  if (plan.rowLength === 0) return;
  const starts = plan.offsets.slice();
  const dims = plan.outerDims;
  const rank = dims.length;
  if (rank === 0) {
    visit(starts);
    return;
  }
  const count = starts.length;
  const strides = plan.outerStrides;
  const counter = new Array<number>(rank).fill(0);
  let rows = 1;
  for (const d of dims) rows *= d;
  for (let r = 0; r < rows; r++) {
    visit(starts);
    for (let d = rank - 1; d >= 0; d--) {
      if (++counter[d]! < dims[d]!) {
        for (let k = 0; k < count; k++) starts[k] += strides[k]![d]!;
        break;
      }
      counter[d] = 0;
      for (let k = 0; k < count; k++) starts[k] -= strides[k]![d]! * (dims[d]! - 1);
    }
  }
}
