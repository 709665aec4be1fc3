/**
 * Row softmax and log-softmax (the reference is ../../cpu/softmax.ts): the row maximum first (NaN
 * wins, as in the reference, so a row holding NaN gives NaN; +∞ or only −∞ give NaN through
 * ∞ − ∞), then Σ e^{x − max} with kernels/exp.ts, summed in float32 in a fixed order.
 *
 * Softmax is one pass per row: e^{x − max} is stored and divided by the sum. Log-softmax needs a
 * log, which wasm lacks: `softmaxRows` with log = 1 writes (max, sum) per row, TypeScript replaces
 * the sum by its log, and `logSoftmaxRows` writes (x − max) − log Σ (in that order: x − max is
 * exact near the maximum, so large logits keep their small differences).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { I, assign, forRange, when, fieldReader } from '../emit.js';
import { SOFTMAX_FIELDS } from '../layout.js';
import { emitExp } from './exp.js';
import { Vec } from './vec.js';

export const SOFTMAX_DRIVER = 'softmaxRows';
export const LOG_SOFTMAX_DRIVER = 'logSoftmaxRows';

const SCALAR = new Vec(false, false);

/**
 * body(v) over one row: whole vectors with v = vec, then the last inner mod 4 elements with
 * v = SCALAR; `at` is the byte offset in the row.
 */
function forRow(f: FunctionBuilder, vec: Vec, at: Local, rowBytes: Local, body: (v: Vec) => void): void {
  const end = f.local('i32');
  assign(f, at, 0);
  assign(f, end, I.sub(rowBytes, vec.bytes - 1));
  forRange(f, at, at, end, vec.bytes, () => body(vec));
  if (vec.simd) forRange(f, at, at, rowBytes, 4, () => body(SCALAR));
}

export function emitSoftmax(mod: ModuleBuilder, vec: Vec): void {
  mod.func(SOFTMAX_DRIVER, ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, SOFTMAX_FIELDS);
    const x = P('x'), y = P('y'), stats = P('stats'), inner = P('inner'), log = P('log');
    const rowBytes = f.local('i32'), o = f.local('i32'), at = f.local('i32'), xr = f.local('i32'), yr = f.local('i32');
    const maxV = f.local(vec.type), sumV = f.local(vec.type), max = f.local('f32'), sum = f.local('f32');
    const end = f.local('i32');
    assign(f, rowBytes, I.shl(inner, 2));
    forRange(f, o, P('o0'), P('o1'), 1, () => {
      assign(f, xr, I.add(x, I.mul(o, rowBytes)));
      assign(f, yr, I.add(y, I.mul(o, rowBytes)));
      // the maximum: lanes, then across lanes, then the tail
      f.f32(-Infinity).set(max);
      if (vec.simd) {
        f.f32x4Const(-Infinity).set(maxV);
        assign(f, end, I.sub(rowBytes, 15));
        forRange(f, at, 0, end, 16, () => {
          f.get(maxV).get(xr).get(at).op('i32.add').mem('v128.load').op('f32x4.max').set(maxV);
        });
        for (let l = 0; l < 4; l++) f.get(max).get(maxV).lane('f32x4.extract_lane', l).op('f32.max').set(max);
        forRange(f, at, at, rowBytes, 4, () => {
          f.get(max).get(xr).get(at).op('i32.add').mem('f32.load').op('f32.max').set(max);
        });
      } else {
        forRange(f, at, 0, rowBytes, 4, () => {
          f.get(max).get(xr).get(at).op('i32.add').mem('f32.load').op('f32.max').set(max);
        });
      }
      // Σ e^{x − max}, each term stored in y when the softmax is wanted
      if (vec.simd) { f.f32x4Const(0).set(sumV); f.get(max).op('f32x4.splat').set(maxV); }
      f.f32(0).set(sum);
      forRow(f, vec, at, rowBytes, (v) => {
        const t = f.local(v.type), e = f.local(v.type), m = v.simd ? maxV : max;
        f.get(xr).get(at).op('i32.add'); v.load(f); f.get(m); v.sub(f); f.set(t);
        emitExp(f, v, t);
        f.set(e);
        when(f, I.eq(log, 0), () => { f.get(yr).get(at).op('i32.add').get(e); v.store(f); });
        const acc = v.simd ? sumV : sum;
        f.get(acc).get(e); v.add(f); f.set(acc);
      });
      if (vec.simd) { vec.sumLanes(f, sumV); f.get(sum).op('f32.add').set(sum); }
      when(f, log, () => {
        emitStats(f, stats, o, max, sum);
      }, () => {
        // maxV is free again: it holds the sum in every lane
        if (vec.simd) f.get(sum).op('f32x4.splat').set(maxV);
        forRow(f, vec, at, rowBytes, (v) => {
          const s = v.simd ? maxV : sum;
          f.get(yr).get(at).op('i32.add');
          f.get(yr).get(at).op('i32.add'); v.load(f); f.get(s);
          f.op(v.simd ? 'f32x4.div' : 'f32.div');
          v.store(f);
        });
      });
    });
  });

  // y = (x − max) − log Σ with stats[o] = (max, log Σ)
  mod.func(LOG_SOFTMAX_DRIVER, ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, SOFTMAX_FIELDS);
    const x = P('x'), y = P('y'), stats = P('stats'), inner = P('inner');
    const rowBytes = f.local('i32'), o = f.local('i32'), at = f.local('i32'), xr = f.local('i32'), yr = f.local('i32');
    const max = f.local('f32'), logSum = f.local('f32'), maxV = f.local(vec.type), logSumV = f.local(vec.type);
    assign(f, rowBytes, I.shl(inner, 2));
    forRange(f, o, P('o0'), P('o1'), 1, () => {
      assign(f, xr, I.add(x, I.mul(o, rowBytes)));
      assign(f, yr, I.add(y, I.mul(o, rowBytes)));
      f.get(stats).get(o).i32(3).op('i32.shl').op('i32.add').mem('f32.load').set(max);
      f.get(stats).get(o).i32(3).op('i32.shl').op('i32.add').mem('f32.load', 4).set(logSum);
      if (vec.simd) { f.get(max).op('f32x4.splat').set(maxV); f.get(logSum).op('f32x4.splat').set(logSumV); }
      forRow(f, vec, at, rowBytes, (v) => {
        const m = v.simd ? maxV : max, l = v.simd ? logSumV : logSum;
        f.get(yr).get(at).op('i32.add');
        f.get(xr).get(at).op('i32.add'); v.load(f); f.get(m); v.sub(f); f.get(l); v.sub(f);
        v.store(f);
      });
    });
  });
}

function emitStats(f: FunctionBuilder, stats: Local, o: Local, max: Local, sum: Local): void {
  f.get(stats).get(o).i32(3).op('i32.shl').op('i32.add').get(max).mem('f32.store');
  f.get(stats).get(o).i32(3).op('i32.shl').op('i32.add').get(sum).mem('f32.store', 4);
}
