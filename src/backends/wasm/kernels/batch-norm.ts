/**
 * Training batch norm, per channel of x viewed as [outer, c, inner], with the reference backend's
 * formulas (src/backends/cpu/batch-norm.ts): the mean and the mean squared deviation in float64
 * (in one pass over x, about its first value, where the reference takes two), then the normalisation; the gradient's two sums in float64, then dx. The statistics are
 * stored float32 and read back, as the reference's are. The per-element passes (y, dx) run in
 * float32 from float64-derived coefficients (within a few float32 ulps of the reference, which
 * rounds once from float64; four lanes instead of two, no conversions). Sums run two float64
 * lanes at a time, so they may round differently from the reference's sequential ones in the last
 * bit. Threads split the channels.
 *
 * The ReLU variants (Accelerations.batchNormReluForward/Backward) compute out = relu(y + r) in
 * the same float32 pass as y (r: a residual of x's size, or none), and in the backward first store
 * g' = g·[out > 0] (into dr, the residual's gradient, or else into dx, overwritten in place by the
 * last pass), then run the plain gradient on g'.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { BATCH_NORM_FIELDS } from '../layout.js';
import { I, addTo, assign, forRange, when, fieldReader } from '../emit.js';
import type { Vec } from './vec.js';

export const BN_FORWARD_DRIVER = 'batchNormForward';
export const BN_BACKWARD_DRIVER = 'batchNormBackward';
export const BN_RELU_FORWARD_DRIVER = 'batchNormReluForward';
export const BN_RELU_BACKWARD_DRIVER = 'batchNormReluBackward';

/**
 * For each of channel ch's runs (x + ((o·c + ch)·inner)·4, inner floats): SIMD on four floats at a
 * time (each half promoted to f64x2 and handed to `simd`), then the scalar tail.
 */
function forChannel(f: FunctionBuilder, vec: Vec, bases: Local[], outer: Local, c: Local, inner: Local, ch: Local,
  body: (ptrs: Local[], lanes: 4 | 1) => void): void {
  const o = f.local('i32'), i = f.local('i32'), end = f.local('i32');
  const ptrs = bases.map(() => f.local('i32'));
  assign(f, end, I.sub(inner, 3));
  forRange(f, o, 0, outer, 1, () => {
    bases.forEach((b, k) => assign(f, ptrs[k]!, I.at4(b, I.mul(I.add(I.mul(o, c), ch), inner))));
    assign(f, i, 0);
    if (vec.simd) {
      forRange(f, i, 0, end, 4, () => {
        body(ptrs, 4);
        for (const p of ptrs) addTo(f, p, 16);
      });
    }
    forRange(f, i, i, inner, 1, () => {
      body(ptrs, 1);
      for (const p of ptrs) addTo(f, p, 4);
    });
  });
}

/** pushes floats 0–1 (low) or 2–3 (high) of the four at ptr, promoted to an f64x2 */
function half(f: FunctionBuilder, ptr: Local, high: boolean): void {
  f.get(ptr).mem('v128.load64_zero', high ? 8 : 0).op('f64x2.promote_low_f32x4');
}

export function emitBatchNorm(mod: ModuleBuilder, vec: Vec): void {
  emitForward(mod, vec, BN_FORWARD_DRIVER, false);
  emitForward(mod, vec, BN_RELU_FORWARD_DRIVER, true);
  emitBackward(mod, vec, BN_BACKWARD_DRIVER, false);
  emitBackward(mod, vec, BN_RELU_BACKWARD_DRIVER, true);
}

const scalarAt = (f: FunctionBuilder, ptr: Local) => { f.get(ptr).mem('f32.load').op('f64.promote_f32'); };
const channelValue = (f: FunctionBuilder, base: Local, ch: Local) => { f.get(base).get(ch).i32(2).op('i32.shl').op('i32.add').mem('f32.load').op('f64.promote_f32'); };
const zero = (f: FunctionBuilder) => { f.f32(0).op('f64.promote_f32'); };

/** the helpers both drivers share, bound to one function */
function helpers(f: FunctionBuilder, vec: Vec) {
  // vector locals and their set-up only in a SIMD module (an engine without SIMD rejects v128); a
  // scalar module gets unused f64 stand-ins and runs only the scalar loops
  const vectorLocal = () => f.local(vec.simd ? 'v128' : 'f64');
  const splat = (from: Local | 0, to: Local) => {
    if (!vec.simd) return;
    if (from === 0) zero(f); else f.get(from);
    f.op('f64x2.splat').set(to);
  };
  /** pushes the scalar accumulator plus both lanes of two f64x2 ones */
  const collapse = (a: Local, b: Local, s: Local) => {
    f.get(s);
    if (!vec.simd) return;
    for (const v of [a, b]) { f.get(v).lane('f64x2.extract_lane', 0).op('f64.add').get(v).lane('f64x2.extract_lane', 1).op('f64.add'); }
  };
  return { vectorLocal, splat, collapse };
}

/** relu: out = relu(y + r) (r when its address is not 0) */
function emitForward(mod: ModuleBuilder, vec: Vec, driver: string, relu: boolean): void {
  mod.func(driver, ['i32'], [], (f, params) => {
    const { vectorLocal, splat, collapse } = helpers(f, vec);
    const P = fieldReader(f, params!, BATCH_NORM_FIELDS);
    const x = P('x'), w = P('w'), b = P('b'), y = P('y'), mean = P('mean'), variance = P('variance');
    const outer = P('outer'), c = P('c'), inner = P('inner'), c0 = P('c0'), c1 = P('c1');
    const eps = f.local('f64'), count = f.local('f64'), mu = f.local('f64'), scale = f.local('f64'), shift = f.local('f64');
    const s = f.local('f64'), ds = f.local('f64'), ch = f.local('i32');
    const mu32 = f.local('f32'), scale32 = f.local('f32'), shift32 = f.local('f32');
    const [acc0, acc1, sq0, sq1, mu2, sc2, sh2, d, v4] = Array.from({ length: 9 }, () => vectorLocal()) as
      [Local, Local, Local, Local, Local, Local, Local, Local, Local];
    const k = f.local('f64'), q = f.local('f64');
    const r = P('r'), v1 = f.local('f32');
    f.get(params!).mem('f64.load', BATCH_NORM_FIELDS.eps).set(eps);
    f.get(outer).get(inner).op('i32.mul').op('f64.convert_i32_s').set(count);
    forRange(f, ch, c0, c1, 1, () => {
      // one pass: Σ(x − K) and Σ(x − K)² about K = the channel's first value (no cancellation
      // unless K is far out in the tail; the reference takes two passes, this reads x once less)
      f.get(x).get(ch).get(inner).op('i32.mul').i32(2).op('i32.shl').op('i32.add').mem('f32.load').op('f64.promote_f32').set(k);
      splat(k, d);
      zero(f); f.set(s); zero(f); f.set(q);
      for (const v of [acc0, acc1, sq0, sq1]) splat(0, v);
      forChannel(f, vec, [x], outer, c, inner, ch, ([p], lanes) => {
        if (lanes === 4) {
          for (const [acc, sq, high] of [[acc0, sq0, false], [acc1, sq1, true]] as const) {
            half(f, p!, high); f.get(d).op('f64x2.sub').set(sh2);
            f.get(acc).get(sh2).op('f64x2.add').set(acc);
            f.get(sq).get(sh2).get(sh2).op('f64x2.mul').op('f64x2.add').set(sq);
          }
        } else {
          scalarAt(f, p!); f.get(k).op('f64.sub').set(ds);
          f.get(s).get(ds).op('f64.add').set(s);
          f.get(q).get(ds).get(ds).op('f64.mul').op('f64.add').set(q);
        }
      });
      collapse(acc0, acc1, s); f.get(count).op('f64.div').set(s);
      collapse(sq0, sq1, q); f.get(count).op('f64.div').set(q);
      // mean = K + E[x − K], stored float32 and read back as μ
      f.get(mean).get(ch).i32(2).op('i32.shl').op('i32.add').get(k).get(s).op('f64.add').op('f32.demote_f64').mem('f32.store');
      channelValue(f, mean, ch); f.set(mu);
      // variance about the stored μ, as the reference's: E[(x − μ)²] = E[(x − K)²] − 2δ·E[x − K] + δ², δ = μ − K (at least 0)
      f.get(mu).get(k).op('f64.sub').set(ds);
      f.get(variance).get(ch).i32(2).op('i32.shl').op('i32.add');
      f.get(q).get(ds).get(ds).op('f64.add').get(s).op('f64.mul').op('f64.sub').get(ds).get(ds).op('f64.mul').op('f64.add');
      f.op('f32.demote_f64').f32(0).op('f32.max').mem('f32.store');
      // y = (x − μ)·scale + shift, scale = w/√(var + eps), in float32 (x − μ is exact or within half an ulp: μ is the stored float32)
      when(f, w, () => { channelValue(f, w, ch); f.set(scale); }, () => { f.f32(1).op('f64.promote_f32').set(scale); });
      f.get(scale); channelValue(f, variance, ch); f.get(eps).op('f64.add').op('f64.sqrt').op('f64.div').set(scale);
      when(f, b, () => { channelValue(f, b, ch); f.set(shift); }, () => { zero(f); f.set(shift); });
      f.get(mu).op('f32.demote_f64').set(mu32); f.get(scale).op('f32.demote_f64').set(scale32); f.get(shift).op('f32.demote_f64').set(shift32);
      if (vec.simd) { f.get(mu32).op('f32x4.splat').set(mu2); f.get(scale32).op('f32x4.splat').set(sc2); f.get(shift32).op('f32x4.splat').set(sh2); }
      // relu: + r, then relu as the unary's (NaN propagates, −0 becomes +0: v unless v ≤ 0)
      const yPass = (res: Local | null) => forChannel(f, vec, res ? [x, y, res] : [x, y], outer, c, inner, ch, ([p, q, pr], lanes) => {
        if (lanes === 4) {
          f.get(q!).get(p!).mem('v128.load').get(mu2).op('f32x4.sub');
          vec.fusedMadd ? f.get(sc2).get(sh2).op('f32x4.relaxed_madd') : f.get(sc2).op('f32x4.mul').get(sh2).op('f32x4.add');
          if (relu) {
            if (pr) f.get(pr).mem('v128.load').op('f32x4.add');
            f.set(v4).get(v4).get(v4).f32x4Const(0).op('f32x4.le').op('v128.andnot');
          }
          f.mem('v128.store');
        } else {
          f.get(q!).get(p!).mem('f32.load').get(mu32).op('f32.sub').get(scale32).op('f32.mul').get(shift32).op('f32.add');
          if (relu) {
            if (pr) f.get(pr).mem('f32.load').op('f32.add');
            f.set(v1).f32(0).get(v1).get(v1).f32(0).op('f32.le').op('select');
          }
          f.mem('f32.store');
        }
      });
      if (relu) when(f, r, () => yPass(r), () => yPass(null)); else yPass(null);
    });
  });
}

/** relu: the gradient of g' = g·[out > 0] (out at o), g' stored at dr when its address is not 0, else at dx */
function emitBackward(mod: ModuleBuilder, vec: Vec, driver: string, relu: boolean): void {
  mod.func(driver, ['i32'], [], (f, params) => {
    const { vectorLocal, splat, collapse } = helpers(f, vec);
    const P = fieldReader(f, params!, BATCH_NORM_FIELDS);
    const x = P('x'), w = P('w'), dx = P('y'), mean = P('mean'), variance = P('variance'), dy = P('dy'), dw = P('dw'), db = P('db');
    const outer = P('outer'), c = P('c'), inner = P('inner'), c0 = P('c0'), c1 = P('c1');
    const eps = f.local('f64'), count = f.local('f64'), mu = f.local('f64'), invStd = f.local('f64');
    const sdy = f.local('f64'), sdyx = f.local('f64'), k = f.local('f64'), a = f.local('f64'), bb = f.local('f64');
    const mu32 = f.local('f32'), k32 = f.local('f32'), a32 = f.local('f32'), ib32 = f.local('f32');
    const [g0, g1, h0, h1, mu2, inv2, k2, a2, b2, g] = Array.from({ length: 10 }, () => vectorLocal()) as
      [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
    const ch = f.local('i32');
    const o = P('o'), dr = P('dr'), gm = f.local('i32');
    f.get(params!).mem('f64.load', BATCH_NORM_FIELDS.eps).set(eps);
    f.get(outer).get(inner).op('i32.mul').op('f64.convert_i32_s').set(count);
    if (relu) when(f, dr, () => { f.get(dr).set(gm); }, () => { f.get(dx).set(gm); });
    forRange(f, ch, c0, c1, 1, () => {
      channelValue(f, mean, ch); f.set(mu);
      f.f32(1).op('f64.promote_f32'); channelValue(f, variance, ch); f.get(eps).op('f64.add').op('f64.sqrt').op('f64.div').set(invStd);
      splat(mu, mu2);
      splat(invStd, inv2);
      // Σ dy and Σ dy·x̂
      zero(f); f.set(sdy); zero(f); f.set(sdyx);
      for (const v of [g0, g1, h0, h1]) splat(0, v);
      const accumulate = (pg: Local, px: Local, lanes: 4 | 1) => {
        if (lanes === 4) {
          for (const [gs, hs, high] of [[g0, h0, false], [g1, h1, true]] as const) {
            half(f, pg, high); f.set(g);
            f.get(gs).get(g).op('f64x2.add').set(gs);
            f.get(hs).get(g); half(f, px, high); f.get(mu2).op('f64x2.sub').op('f64x2.mul').get(inv2).op('f64x2.mul').op('f64x2.add').set(hs);
          }
        } else {
          f.get(sdy); scalarAt(f, pg); f.op('f64.add').set(sdy);
          f.get(sdyx); scalarAt(f, pg); scalarAt(f, px); f.get(mu).op('f64.sub').op('f64.mul').get(invStd).op('f64.mul').op('f64.add').set(sdyx);
        }
      };
      if (!relu) forChannel(f, vec, [dy, x], outer, c, inner, ch, ([pg, px], lanes) => accumulate(pg!, px!, lanes));
      else {
        // g' = g where out > 0, else +0 (the mask ANDed onto g's bits, as the reluBackward kernel), stored, then summed
        forChannel(f, vec, [dy, o, x, gm], outer, c, inner, ch, ([pg, po, px, pm], lanes) => {
          if (lanes === 4) f.get(pm!).get(pg!).mem('v128.load').get(po!).mem('v128.load').f32x4Const(0).op('f32x4.gt').op('v128.and').mem('v128.store');
          else f.get(pm!).get(pg!).mem('f32.load').f32(0).get(po!).mem('f32.load').f32(0).op('f32.gt').op('select').mem('f32.store');
          accumulate(pm!, px!, lanes);
        });
      }
      collapse(g0, g1, sdy); f.set(sdy);
      collapse(h0, h1, sdyx); f.set(sdyx);
      f.get(db).get(ch).i32(2).op('i32.shl').op('i32.add').get(sdy).op('f32.demote_f64').mem('f32.store');
      f.get(dw).get(ch).i32(2).op('i32.shl').op('i32.add').get(sdyx).op('f32.demote_f64').mem('f32.store');
      // dx = k·(dy − a − x̂·b), k = w·invStd, a = Σdy/M, b = Σdy·x̂/M
      when(f, w, () => { channelValue(f, w, ch); f.set(k); }, () => { f.f32(1).op('f64.promote_f32').set(k); });
      f.get(k).get(invStd).op('f64.mul').set(k);
      f.get(sdy).get(count).op('f64.div').set(a);
      f.get(sdyx).get(count).op('f64.div').set(bb);
      // dx in float32: k·((dy − a) − (x − μ)·(invStd·b))
      f.get(mu).op('f32.demote_f64').set(mu32); f.get(k).op('f32.demote_f64').set(k32);
      f.get(a).op('f32.demote_f64').set(a32); f.get(invStd).get(bb).op('f64.mul').op('f32.demote_f64').set(ib32);
      if (vec.simd) {
        for (const [from, to] of [[mu32, mu2], [k32, k2], [a32, a2], [ib32, b2]] as const) f.get(from).op('f32x4.splat').set(to);
      }
      forChannel(f, vec, [relu ? gm : dy, x, dx], outer, c, inner, ch, ([pg, px, pd], lanes) => {
        if (lanes === 4) {
          f.get(pd!).get(k2);
          f.get(pg!).mem('v128.load').get(a2).op('f32x4.sub');
          f.get(px!).mem('v128.load').get(mu2).op('f32x4.sub').get(b2).op('f32x4.mul');
          f.op('f32x4.sub').op('f32x4.mul').mem('v128.store');
        } else {
          f.get(pd!).get(k32).get(pg!).mem('f32.load').get(a32).op('f32.sub');
          f.get(px!).mem('f32.load').get(mu32).op('f32.sub').get(ib32).op('f32.mul');
          f.op('f32.sub').op('f32.mul').mem('f32.store');
        }
      });
    });
  });
}
