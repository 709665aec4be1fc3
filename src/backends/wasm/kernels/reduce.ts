/**
 * Sum, max and min of x viewed as [outer, red, inner] into [outer, inner] (batch-norm statistics,
 * bias gradients, the gradients of broadcasts). Sums accumulate in float64, as the reference
 * backend does, and round to float32 once; max and min propagate NaN (wasm's min/max do).
 *
 * inner = 1 reduces contiguous rows (SIMD across the row); inner > 1 adds whole [inner] slabs, also
 * contiguous, into an accumulator row (SIMD across the slab), so memory is always read in order.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { REDUCE_FIELDS } from '../layout.js';
import { I, addTo, assign, forRange, when, fieldReader } from '../emit.js';
import type { Vec } from './vec.js';

export type WasmReduceOp = 'sum' | 'max' | 'min';
export const WASM_REDUCE_OPS: readonly WasmReduceOp[] = ['sum', 'max', 'min'];
export const reduceDriverName = (op: WasmReduceOp): string => `reduce_${op}`;

export function emitReduce(mod: ModuleBuilder, vec: Vec): void {
  for (const op of WASM_REDUCE_OPS) {
    mod.func(reduceDriverName(op), ['i32'], [], (f, params) => {
      const P = fieldReader(f, params!, REDUCE_FIELDS);
      const x = P('x'), y = P('y'), red = P('red'), inner = P('inner');
      const o0 = P('o0'), o1 = P('o1'), i0 = P('i0'), i1 = P('i1'), acc = P('acc');
      const o = f.local('i32'), src = f.local('i32'), dst = f.local('i32'), width = f.local('i32');
      when(f, I.eq(inner, 1), () => {
        forRange(f, o, o0, o1, 1, () => {
          assign(f, src, I.at4(x, I.mul(o, red)));
          f.get(y).get(o).i32(2).op('i32.shl').op('i32.add');
          if (op === 'sum') emitRowSum(f, vec, src, red);
          else emitRowExtreme(f, vec, op, src, red);
          f.mem('f32.store');
        });
      }, () => {
        assign(f, width, I.sub(i1, i0));
        forRange(f, o, o0, o1, 1, () => {
          assign(f, src, I.at4(x, I.add(I.mul(I.mul(o, red), inner), i0)));
          assign(f, dst, I.at4(y, I.add(I.mul(o, inner), i0)));
          if (op === 'sum') emitSlabSum(f, vec, src, dst, acc, red, inner, width);
          else emitSlabExtreme(f, vec, op, src, dst, red, inner, width);
        });
      });
    });
  }
}

/** pushes the float32 sum of n floats at src (float64 accumulation) */
function emitRowSum(f: FunctionBuilder, vec: Vec, src: Local, n: Local): void {
  const i = f.local('i32'), end = f.local('i32'), s = f.local('f64');
  f.f32(0).op('f64.promote_f32').set(s);
  assign(f, i, 0);
  if (vec.simd) {
    const a0 = f.local('v128'), a1 = f.local('v128'), v = f.local('v128'), p = f.local('i32');
    f.f32(0).op('f64.promote_f32').op('f64x2.splat').tee(a0).set(a1);
    assign(f, p, src);
    assign(f, end, I.sub(n, 3));
    forRange(f, i, 0, end, 4, () => {
      f.get(p).mem('v128.load').set(v);
      f.get(a0).get(v).op('f64x2.promote_low_f32x4').op('f64x2.add').set(a0);
      f.get(a1).get(v).get(v).f32x4Shuffle([2, 3, 0, 1]).op('f64x2.promote_low_f32x4').op('f64x2.add').set(a1);
      addTo(f, p, 16);
    });
    f.get(a0).lane('f64x2.extract_lane', 0).get(a1).lane('f64x2.extract_lane', 0).op('f64.add');
    f.get(a0).lane('f64x2.extract_lane', 1).get(a1).lane('f64x2.extract_lane', 1).op('f64.add');
    f.op('f64.add').set(s);
  }
  forRange(f, i, i, n, 1, () => {
    f.get(s).get(src).get(i).i32(2).op('i32.shl').op('i32.add').mem('f32.load').op('f64.promote_f32').op('f64.add').set(s);
  });
  f.get(s).op('f32.demote_f64');
}

/** pushes the max (or min) of n ≥ 1 floats at src, NaN if any is NaN */
function emitRowExtreme(f: FunctionBuilder, vec: Vec, op: 'max' | 'min', src: Local, n: Local): void {
  const i = f.local('i32'), end = f.local('i32'), m = f.local('f32');
  const scalarOp = op === 'max' ? 'f32.max' : 'f32.min';
  f.get(src).mem('f32.load').set(m);
  assign(f, i, 1);
  if (vec.simd) {
    const a = f.local('v128'), p = f.local('i32');
    f.get(m).op('f32x4.splat').set(a);
    assign(f, p, src);
    assign(f, end, I.sub(n, 3));
    forRange(f, i, 0, end, 4, () => {
      f.get(a).get(p).mem('v128.load').op(op === 'max' ? 'f32x4.max' : 'f32x4.min').set(a);
      addTo(f, p, 16);
    });
    for (let lane = 0; lane < 4; lane++) f.get(m).get(a).lane('f32x4.extract_lane', lane).op(scalarOp).set(m);
  }
  forRange(f, i, i, n, 1, () => {
    f.get(m).get(src).get(i).i32(2).op('i32.shl').op('i32.add').mem('f32.load').op(scalarOp).set(m);
  });
  f.get(m);
}

/** dst[j] = Σ_r src[r·inner + j] for j < width, through the float64 row at acc */
function emitSlabSum(f: FunctionBuilder, vec: Vec, src: Local, dst: Local, acc: Local,
  red: Local, inner: Local, width: Local): void {
  const j = f.local('i32'), r = f.local('i32'), end = f.local('i32'), s = f.local('i32'), a = f.local('i32');
  forRange(f, j, 0, width, 1, () => { f.get(acc).get(j).i32(3).op('i32.shl').op('i32.add').f32(0).op('f64.promote_f32').mem('f64.store'); });
  assign(f, end, I.sub(width, 3));
  forRange(f, r, 0, red, 1, () => {
    assign(f, s, I.at4(src, I.mul(r, inner)));
    assign(f, a, acc);
    assign(f, j, 0);
    if (vec.simd) {
      const v = f.local('v128');
      forRange(f, j, 0, end, 4, () => {
        f.get(s).mem('v128.load').set(v);
        f.get(a).get(a).mem('v128.load').get(v).op('f64x2.promote_low_f32x4').op('f64x2.add').mem('v128.store');
        f.get(a).get(a).mem('v128.load', 16).get(v).get(v).f32x4Shuffle([2, 3, 0, 1]).op('f64x2.promote_low_f32x4')
          .op('f64x2.add').mem('v128.store', 16);
        addTo(f, s, 16);
        addTo(f, a, 32);
      });
    }
    forRange(f, j, j, width, 1, () => {
      f.get(a).get(a).mem('f64.load').get(s).mem('f32.load').op('f64.promote_f32').op('f64.add').mem('f64.store');
      addTo(f, s, 4);
      addTo(f, a, 8);
    });
  });
  forRange(f, j, 0, width, 1, () => {
    f.get(dst).get(j).i32(2).op('i32.shl').op('i32.add');
    f.get(acc).get(j).i32(3).op('i32.shl').op('i32.add').mem('f64.load').op('f32.demote_f64');
    f.mem('f32.store');
  });
}

/** dst[j] = max (min) over r of src[r·inner + j] for j < width; red ≥ 1 */
function emitSlabExtreme(f: FunctionBuilder, vec: Vec, op: 'max' | 'min', src: Local, dst: Local,
  red: Local, inner: Local, width: Local): void {
  const j = f.local('i32'), r = f.local('i32'), end = f.local('i32'), s = f.local('i32'), d = f.local('i32');
  const scalarOp = op === 'max' ? 'f32.max' : 'f32.min';
  forRange(f, j, 0, width, 1, () => {
    f.get(dst).get(j).i32(2).op('i32.shl').op('i32.add');
    f.get(src).get(j).i32(2).op('i32.shl').op('i32.add').mem('f32.load');
    f.mem('f32.store');
  });
  assign(f, end, I.sub(width, 3));
  forRange(f, r, 1, red, 1, () => {
    assign(f, s, I.at4(src, I.mul(r, inner)));
    assign(f, d, dst);
    assign(f, j, 0);
    if (vec.simd) {
      forRange(f, j, 0, end, 4, () => {
        f.get(d).get(d).mem('v128.load').get(s).mem('v128.load').op(op === 'max' ? 'f32x4.max' : 'f32x4.min').mem('v128.store');
        addTo(f, s, 16);
        addTo(f, d, 16);
      });
    }
    forRange(f, j, j, width, 1, () => {
      f.get(d).get(d).mem('f32.load').get(s).mem('f32.load').op(scalarOp).mem('f32.store');
      addTo(f, s, 4);
      addTo(f, d, 4);
    });
  });
}
