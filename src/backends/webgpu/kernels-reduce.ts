/**
 * Reductions of x viewed as [outer, reduce, inner] (shaders/reduceAxis.wgsl). A long reduction
 * with few outputs (a full sum, say) is split: the first pass reduces chunks of the axis into
 * partials [outer, chunks, inner] (values, and indices for argmax/argmin), the next pass reduces
 * the partials. Chunking depends on the shape only, so results are reproducible run to run.
 */
import type { ReduceOp } from '../../core/backend.js';
import { bitsOf, wgslType, type GpuContext } from './gpu-context.js';
import { params } from './gpu-params.js';
import type { WebGpuStorage } from './gpu-storage.js';

interface ValueReduction { identity: [string, string]; combine: [string, string]; empty: number }

/** [float32, int32] WGSL of each value reduction; `empty` is the result of reducing nothing */
const VALUE: Readonly<Record<'sum' | 'prod' | 'max' | 'min', ValueReduction>> = {
  sum: { identity: ['0.0', '0'], combine: ['a + b', 'a + b'], empty: 0 },
  prod: { identity: ['1.0', '1'], combine: ['a * b', 'a * b'], empty: 1 },
  max: { identity: ['-inf()', 'i32(-2147483648)'], combine: ['maxNan(a, b)', 'max(a, b)'], empty: -Infinity },
  min: { identity: ['inf()', '2147483647'], combine: ['minNan(a, b)', 'min(a, b)'], empty: Infinity },
};

/** threads per workgroup of the reduction kernel */
const THREADS = 256;
/** below this many outputs a long axis is split into chunks */
const FEW_OUTPUTS = 2048;
/** length of a chunk when splitting */
const MIN_CHUNK = 1024;

function floorPow2(v: number): number {
  return v < 1 ? 1 : 2 ** Math.floor(Math.log2(v));
}

/** chunks for reducing `length` elements into each of `outputs` results */
function planChunks(outputs: number, length: number): number {
  if (outputs >= FEW_OUTPUTS || length < 4 * MIN_CHUNK) return 1;
  const wanted = Math.min(Math.ceil(length / MIN_CHUNK), Math.max(2, Math.floor((8 * FEW_OUTPUTS) / outputs)), 256);
  const chunkLen = Math.ceil(length / wanted);
  return Math.ceil(length / chunkLen);
}

export function reduce(ctx: GpuContext, kernel: string, op: ReduceOp, x: WebGpuStorage,
  outer: number, red: number, inner: number, out: WebGpuStorage): void {
  const outputs = outer * inner;
  if (outputs === 0) return;
  const arg = op === 'argmax' || op === 'argmin';
  const t = x.dtype === 'int32' ? 1 : 0;
  if (red === 0) {
    // reducing nothing: the identity, stored as the reference stores it (±∞ → 0 in int32)
    const value = arg ? 0 : VALUE[op as keyof typeof VALUE].empty;
    ctx.fillBits(out, bitsOf(out.dtype === 'int32' && !Number.isFinite(value) ? 0 : value, out.dtype));
    return;
  }
  const T = wgslType(x.dtype);
  const spec = arg
    ? { IDENTITY: t ? '0' : '0.0', COMBINE: 'a', BETTER_CMP: op === 'argmax' ? '>' : '<' }
    : { IDENTITY: VALUE[op as keyof typeof VALUE].identity[t]!, COMBINE: VALUE[op as keyof typeof VALUE].combine[t]!, BETTER_CMP: '>' };
  let input: WebGpuStorage = x;
  let inputIndex: WebGpuStorage | null = null;
  let length = red;
  const temps: WebGpuStorage[] = [];
  for (;;) {
    const chunks = planChunks(outputs, length);
    const chunkLen = Math.ceil(length / chunks);
    const final = chunks === 1;
    const count = outer * chunks * inner;
    let outValue: WebGpuStorage | null = null, outIndex: WebGpuStorage | null = null;
    if (arg) {
      outIndex = final ? out : ctx.allocate(kernel, count, 'int32', false);
      if (!final) outValue = ctx.allocate(kernel, count, x.dtype, false);
    } else {
      outValue = final ? out : ctx.allocate(kernel, count, x.dtype, false);
    }
    if (!final) temps.push(...[outValue, outIndex].filter((s): s is WebGpuStorage => s !== null));
    const wy = Math.min(THREADS, floorPow2(chunkLen / 8));
    const wx = THREADS / wy;
    ctx.run(kernel, {
      shaders: ['reduceAxis'],
      subs: {
        T, WX: wx, WY: wy, ARG: arg, READ_INDEX: inputIndex !== null, WRITE_VALUE: arg && !final,
        NAN_TEST: t ? 'false' : 'isNan(v)', ...spec,
      },
      layout: ['uniform', 'read', 'read', 'rw', 'rw'],
    }, params().u32(outer).u32(length).u32(inner).u32(chunks).u32(chunkLen).u32(count).bytes(),
    [input, inputIndex ?? ctx.unusedInput, outValue ?? ctx.unusedOutput(0), outIndex ?? ctx.unusedOutput(1)],
    Math.ceil(count / wx));
    if (final) break;
    input = outValue!;
    inputIndex = outIndex;
    length = chunks;
  }
  // the passes that read the partials are recorded: their buffers may go back to the pool
  for (const s of temps) ctx.release(s);
}
