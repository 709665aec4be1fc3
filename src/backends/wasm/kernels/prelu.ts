/**
 * Fused PReLU (Backend.prelu / preluBackward) over x viewed as [outer, c, inner]: one pass forward,
 * one pass backward, where the composition from ops (relu(x) − w·relu(−x)) takes five and ten.
 *   forward:  y = max(x, 0) + s·min(x, 0)   (s·x rounded once, the composition's bits)
 *   backward: dx = x > 0 ? g : x < 0 ? s·g : 0 (the composition's: relu'(0) = 0, and 0 at NaN),  acc[ch] = Σ g·min(x, 0) in float64 (the products rounded to
 *             float32 first, as the composition's are), per channel; the caller sums acc into
 *             dWeight per slope.
 * Threads split the channels, or the outer rows when there are fewer channels than threads (each
 * thread then sums into its own acc).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, fieldReader, forRange } from '../emit.js';
import type { Vec } from './vec.js';

export const PRELU_FORWARD_DRIVER = 'preluForward';
export const PRELU_BACKWARD_DRIVER = 'preluBackward';

/**
 * x, w, y (forward) or x, w, g → dx in y and acc (backward: this thread's float64 per channel,
 * added into); channels [c0, c1) and outer rows [o0, o1) on this thread; shared: every channel
 * uses w[0].
 */
export const PRELU_FIELDS = fields(['x', 'w', 'y', 'g', 'acc', 'outer', 'c', 'inner', 'shared', 'c0', 'c1', 'o0', 'o1'] as const);

export function emitPrelu(mod: ModuleBuilder, vec: Vec): void {
  for (const backward of [false, true]) {
    mod.func(backward ? PRELU_BACKWARD_DRIVER : PRELU_FORWARD_DRIVER, ['i32'], [], (f, params) => {
      const P = fieldReader(f, params!, PRELU_FIELDS);
      const x = P('x'), w = P('w'), y = P('y'), g = P('g'), acc = P('acc'), c = P('c'), inner = P('inner'), shared = P('shared');
      const c0 = P('c0'), c1 = P('c1'), o0 = P('o0'), o1 = P('o1');
      const ch = f.local('i32'), o = f.local('i32'), i = f.local('i32'), end = f.local('i32');
      const px = f.local('i32'), py = f.local('i32'), pg = f.local('i32'), offset = f.local('i32');
      const s = f.local('f32'), sum = f.local('f64');
      const sv = vec.simd ? f.local('v128') : null, zero = vec.simd ? f.local('v128') : null;
      assign(f, end, I.sub(inner, 3));
      if (zero) f.f32x4Const(0).set(zero);
      forRange(f, ch, c0, c1, 1, () => {
        // the slope: w[shared ? 0 : ch]
        f.get(w).i32(0).get(ch).get(shared).op('select').i32(2).op('i32.shl').op('i32.add').mem('f32.load').set(s);
        if (sv) f.get(s).op('f32x4.splat').set(sv);
        f.f32(0).op('f64.promote_f32').set(sum);
        forRange(f, o, o0, o1, 1, () => {
          assign(f, offset, I.shl(I.mul(I.add(I.mul(o, c), ch), inner), 2));
          assign(f, px, I.add(x, offset));
          assign(f, py, I.add(y, offset));
          assign(f, pg, I.add(g, offset));
          assign(f, i, 0);
          if (sv && zero) {
            forRange(f, i, 0, end, 4, () => (backward ? simdBackward(f, px, pg, py, sv, zero, sum) : simdForward(f, vec, px, py, sv, zero)));
          }
          forRange(f, i, i, inner, 1, () => (backward ? scalarBackward(f, px, pg, py, s, sum) : scalarForward(f, px, py, s)));
        });
        if (backward) {
          // acc[ch] += sum
          f.get(acc).get(ch).i32(3).op('i32.shl').op('i32.add').set(offset);
          f.get(offset).get(offset).mem('f64.load').get(sum).op('f64.add').mem('f64.store');
        }
      });
    });
  }
}

function simdForward(f: FunctionBuilder, vec: Vec, px: Local, py: Local, s: Local, zero: Local): void {
  const v = f.local('v128'), neg = f.local('v128');
  f.get(px).mem('v128.load').set(v);
  f.get(v).get(zero).op('f32x4.min').set(neg);
  f.get(py);
  if (vec.fusedMadd) f.get(neg).get(s).get(v).get(zero).op('f32x4.max').op('f32x4.relaxed_madd');
  else f.get(v).get(zero).op('f32x4.max').get(neg).get(s).op('f32x4.mul').op('f32x4.add');
  f.mem('v128.store');
  addTo(f, px, 16); addTo(f, py, 16);
}

function scalarForward(f: FunctionBuilder, px: Local, py: Local, s: Local): void {
  const v = f.local('f32');
  f.get(px).mem('f32.load').set(v);
  f.get(py).get(v).f32(0).op('f32.max').get(v).f32(0).op('f32.min').get(s).op('f32.mul').op('f32.add').mem('f32.store');
  addTo(f, px, 4); addTo(f, py, 4);
}

/** dx = x > 0 ? g : x < 0 ? s·g : 0; sum += the four g·min(x, 0), each rounded to float32, in float64 */
function simdBackward(f: FunctionBuilder, px: Local, pg: Local, pdx: Local, s: Local, zero: Local, sum: Local): void {
  const v = f.local('v128'), gv = f.local('v128'), prod = f.local('v128');
  f.get(px).mem('v128.load').set(v);
  f.get(pg).mem('v128.load').set(gv);
  f.get(pdx).get(gv).get(gv).get(s).op('f32x4.mul').get(v).get(zero).op('f32x4.lt').op('v128.and');
  f.get(v).get(zero).op('f32x4.gt').op('v128.bitselect').mem('v128.store');
  f.get(gv).get(v).get(zero).op('f32x4.min').op('f32x4.mul').set(prod);
  for (let lane = 0; lane < 4; lane++) {
    f.get(sum).get(prod).lane('f32x4.extract_lane', lane).op('f64.promote_f32').op('f64.add').set(sum);
  }
  addTo(f, px, 16); addTo(f, pg, 16); addTo(f, pdx, 16);
}

function scalarBackward(f: FunctionBuilder, px: Local, pg: Local, pdx: Local, s: Local, sum: Local): void {
  const v = f.local('f32'), gv = f.local('f32');
  f.get(px).mem('f32.load').set(v);
  f.get(pg).mem('f32.load').set(gv);
  f.get(pdx).get(gv).get(gv).get(s).op('f32.mul').f32(0).get(v).f32(0).op('f32.lt').op('select');
  f.get(v).f32(0).op('f32.gt').op('select').mem('f32.store');
  f.get(sum).get(gv).get(v).f32(0).op('f32.min').op('f32.mul').op('f64.promote_f32').op('f64.add').set(sum);
  addTo(f, px, 4); addTo(f, pg, 4); addTo(f, pdx, 4);
}
