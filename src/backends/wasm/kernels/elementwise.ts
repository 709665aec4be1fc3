/**
 * Elementwise float32 kernels: a few unary ops over a contiguous range and binary ops over rows of
 * strided operands (the reference backend's row plan, at most two outer dimensions). Each op gets
 * its own generated driver so the inner loops carry no op dispatch. SIMD loops run where a row is
 * contiguous or broadcast (stride 1 or 0); everything else takes the scalar loop.
 *
 * Results equal the reference backend's (which computes in float64 and rounds once): + − × ÷ of
 * float32 values round the same either way, comparisons and min/max are exact, and the NaN and
 * signed-zero rules below follow the reference's.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { AFFINE_FIELDS, BINARY_FIELDS, UNARY_FIELDS } from '../layout.js';
import { I, addTo, assign, emit, forRange, when, fieldReader } from '../emit.js';
import type { Vec } from './vec.js';

/** Emits f(x) for x in a local (v128 or f32); p0/p1 hold the op's scalar parameters splatted. */
interface UnaryEmitter {
  params: number;
  simd(f: FunctionBuilder, x: Local, p0: Local, p1: Local): void;
  scalar(f: FunctionBuilder, x: Local, p0: Local, p1: Local): void;
}

const one4 = (f: FunctionBuilder) => f.f32x4Const(1);

export const WASM_UNARY: Record<string, UnaryEmitter> = {
  // NaN propagates, −0 becomes +0: x unless x ≤ 0
  relu: {
    params: 0,
    simd: (f, x) => { f.get(x).get(x).f32x4Const(0).op('f32x4.le').op('v128.andnot'); },
    scalar: (f, x) => { f.f32(0).get(x).get(x).f32(0).op('f32.le').op('select'); },
  },
  // 1, −1 or 0 (also for NaN)
  sign: {
    params: 0,
    simd: (f, x) => {
      f.get(x).f32x4Const(0).op('f32x4.gt'); one4(f); f.op('v128.and');
      f.get(x).f32x4Const(0).op('f32x4.lt'); one4(f); f.op('v128.and');
      f.op('f32x4.sub');
    },
    scalar: (f, x) => {
      f.get(x).f32(0).op('f32.gt').op('f32.convert_i32_s');
      f.get(x).f32(0).op('f32.lt').op('f32.convert_i32_s');
      f.op('f32.sub');
    },
  },
  neg: { params: 0, simd: (f, x) => { f.get(x).op('f32x4.neg'); }, scalar: (f, x) => { f.get(x).op('f32.neg'); } },
  abs: { params: 0, simd: (f, x) => { f.get(x).op('f32x4.abs'); }, scalar: (f, x) => { f.get(x).op('f32.abs'); } },
  square: {
    params: 0,
    simd: (f, x) => { f.get(x).get(x).op('f32x4.mul'); },
    scalar: (f, x) => { f.get(x).get(x).op('f32.mul'); },
  },
  // x > 0 ? x : slope·x
  leakyRelu: {
    params: 1,
    simd: (f, x, slope) => { f.get(x).get(x).get(slope).op('f32x4.mul').get(x).f32x4Const(0).op('f32x4.gt').op('v128.bitselect'); },
    scalar: (f, x, slope) => { f.get(x).get(x).get(slope).op('f32.mul').get(x).f32(0).op('f32.gt').op('select'); },
  },
  // min(max(x, lo), hi) with NaN propagating, as Math.min/Math.max
  clamp: {
    params: 2,
    simd: (f, x, lo, hi) => { f.get(x).get(lo).op('f32x4.max').get(hi).op('f32x4.min'); },
    scalar: (f, x, lo, hi) => { f.get(x).get(lo).op('f32.max').get(hi).op('f32.min'); },
  },
};

interface BinaryEmitter {
  /** [a, b] (v128) on the stack → result */
  simd(f: FunctionBuilder): void;
  /** [a, b] (f32) on the stack → result */
  scalar(f: FunctionBuilder): void;
}

function arith(simdOp: 'f32x4.add' | 'f32x4.sub' | 'f32x4.mul' | 'f32x4.div' | 'f32x4.max' | 'f32x4.min',
  scalarOp: 'f32.add' | 'f32.sub' | 'f32.mul' | 'f32.div' | 'f32.max' | 'f32.min'): BinaryEmitter {
  return { simd: (f) => { f.op(simdOp); }, scalar: (f) => { f.op(scalarOp); } };
}

/** comparisons give 1 or 0 (a mask ANDed with 1.0); NaN compares unequal, as in JavaScript */
function compare(simdOp: 'f32x4.eq' | 'f32x4.ne' | 'f32x4.lt' | 'f32x4.le' | 'f32x4.gt' | 'f32x4.ge',
  scalarOp: 'f32.eq' | 'f32.ne' | 'f32.lt' | 'f32.le' | 'f32.gt' | 'f32.ge'): BinaryEmitter {
  return {
    simd: (f) => { f.op(simdOp); one4(f); f.op('v128.and'); },
    scalar: (f) => { f.op(scalarOp).op('f32.convert_i32_s'); },
  };
}

/** the strided copy y = a runs as a binary op whose second operand is ignored (see copyInto) */
export const COPY_AS_BINARY = 'copy';

/**
 * ReLU's gradient (Accelerations.reluBackward) as a binary op of (g, y): g where y > 0, else +0
 * (also for NaN y and, where y <= 0, for NaN g): the mask y > 0 ANDed onto g's bits
 */
export const RELU_BACKWARD_AS_BINARY = 'reluBackward';

export const WASM_BINARY: Record<string, BinaryEmitter> = {
  [COPY_AS_BINARY]: { simd: (f) => { f.op('drop'); }, scalar: (f) => { f.op('drop'); } },
  [RELU_BACKWARD_AS_BINARY]: {
    simd: (f) => { f.f32x4Const(0).op('f32x4.gt').op('v128.and'); },
    scalar: (f) => {
      const y = f.local('f32');
      f.set(y).f32(0).get(y).f32(0).op('f32.gt').op('select');
    },
  },
  add: arith('f32x4.add', 'f32.add'), sub: arith('f32x4.sub', 'f32.sub'),
  mul: arith('f32x4.mul', 'f32.mul'), div: arith('f32x4.div', 'f32.div'),
  // wasm min/max propagate NaN and order −0 < +0, as Math.min/Math.max
  maximum: arith('f32x4.max', 'f32.max'), minimum: arith('f32x4.min', 'f32.min'),
  eq: compare('f32x4.eq', 'f32.eq'), ne: compare('f32x4.ne', 'f32.ne'), lt: compare('f32x4.lt', 'f32.lt'),
  le: compare('f32x4.le', 'f32.le'), gt: compare('f32x4.gt', 'f32.gt'), ge: compare('f32x4.ge', 'f32.ge'),
};

export const unaryDriverName = (op: string) => `unary_${op}`;
export const AFFINE_DRIVER = 'affine';
export const binaryDriverName = (op: string) => `binary_${op}`;

export function emitElementwise(mod: ModuleBuilder, vec: Vec): void {
  mod.func(AFFINE_DRIVER, ['i32'], [], (f, params) => emitAffine(f, vec, params!));
  for (const [op, e] of Object.entries(WASM_UNARY)) {
    mod.func(unaryDriverName(op), ['i32'], [], (f, params) => emitUnary(f, vec, e, params!));
  }
  for (const [op, e] of Object.entries(WASM_BINARY)) {
    const row = mod.func(`binaryRow_${op}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [],
      (f, pa, pb, py, count, sa, sb) => emitBinaryRow(f, vec, e, pa!, pb!, py!, count!, sa!, sb!), false);
    mod.func(binaryDriverName(op), ['i32'], [], (f, params) => {
      const P = fieldReader(f, params!, BINARY_FIELDS);
      const a = P('a'), b = P('b'), y = P('y'), d1 = P('d1'), n = P('n');
      const sa0 = P('sa0'), sa1 = P('sa1'), sar = P('sar'), sb0 = P('sb0'), sb1 = P('sb1'), sbr = P('sbr');
      const i0lo = P('i0lo'), i0hi = P('i0hi'), rlo = P('rlo'), rhi = P('rhi');
      const i0 = f.local('i32'), i1 = f.local('i32');
      forRange(f, i0, i0lo, i0hi, 1, () => {
        forRange(f, i1, 0, d1, 1, () => {
          emit(f, I.at4(a, I.add(I.add(I.mul(i0, sa0), I.mul(i1, sa1)), I.mul(rlo, sar))));
          emit(f, I.at4(b, I.add(I.add(I.mul(i0, sb0), I.mul(i1, sb1)), I.mul(rlo, sbr))));
          emit(f, I.at4(y, I.add(I.mul(I.add(I.mul(i0, d1), i1), n), rlo)));
          emit(f, I.sub(rhi, rlo));
          f.get(sar).get(sbr).call(row);
        });
      });
    });
  }
}

/**
 * y[i] = map(x[i]) for i in [lo, hi) of a block laid out with x, y, lo, hi fields: four at a time
 * (simd gets the v128 local and pushes the result) while four remain, then one at a time (scalar
 * gets an f32 local). Parameters the maps use are set up by the caller before this is emitted.
 */
function emitRangeMap(f: FunctionBuilder, vec: Vec, params: Local, layout: { x: number; y: number; lo: number; hi: number },
  simd: (v: Local) => void, scalar: (v: Local) => void): void {
  const x = f.local('i32'), y = f.local('i32'), i = f.local('i32'), hi = f.local('i32'), end = f.local('i32');
  assign(f, i, I.load(params, layout.lo));
  assign(f, hi, I.load(params, layout.hi));
  assign(f, x, I.at4(I.load(params, layout.x), i));
  assign(f, y, I.at4(I.load(params, layout.y), i));
  if (vec.simd) {
    const v = f.local('v128');
    assign(f, end, I.sub(hi, 3));
    forRange(f, i, i, end, 4, () => {
      f.get(x).mem('v128.load').set(v);
      f.get(y);
      simd(v);
      f.mem('v128.store');
      addTo(f, x, 16);
      addTo(f, y, 16);
    });
  }
  const sv = f.local('f32');
  forRange(f, i, i, hi, 1, () => {
    f.get(x).mem('f32.load').set(sv);
    f.get(y);
    scalar(sv);
    f.mem('f32.store');
    addTo(f, x, 4);
    addTo(f, y, 4);
  });
}

function emitUnary(f: FunctionBuilder, vec: Vec, e: UnaryEmitter, params: Local): void {
  const s0 = f.local('f32'), s1 = f.local('f32');
  f.get(params).mem('f32.load', UNARY_FIELDS.p0).set(s0);
  f.get(params).mem('f32.load', UNARY_FIELDS.p1).set(s1);
  // v128 locals only in a SIMD module (an engine without SIMD rejects the type)
  const splat = (s: Local) => { if (!vec.simd) return s; const v = f.local('v128'); f.get(s).op('f32x4.splat').set(v); return v; };
  const v0 = splat(s0), v1 = splat(s1);
  emitRangeMap(f, vec, params, UNARY_FIELDS, (v) => e.simd(f, v, v0, v1), (v) => e.scalar(f, v, s0, s1));
}

function emitBinaryRow(f: FunctionBuilder, vec: Vec, e: BinaryEmitter,
  pa: Local, pb: Local, py: Local, count: Local, sa: Local, sb: Local): void {
  const i = f.local('i32'), end = f.local('i32');
  assign(f, i, 0);
  if (vec.simd) {
    const va = f.local('v128'), vb = f.local('v128');
    assign(f, end, I.sub(count, 3));
    const loop = (loadA: boolean, loadB: boolean) => {
      forRange(f, i, 0, end, 4, () => {
        f.get(py);
        if (loadA) f.get(pa).mem('v128.load'); else f.get(va);
        if (loadB) f.get(pb).mem('v128.load'); else f.get(vb);
        e.simd(f);
        f.mem('v128.store');
        if (loadA) addTo(f, pa, 16);
        if (loadB) addTo(f, pb, 16);
        addTo(f, py, 16);
      });
    };
    when(f, I.and(I.eq(sa, 1), I.eq(sb, 1)), () => loop(true, true), () => {
      when(f, I.and(I.eq(sa, 1), I.eq(sb, 0)), () => {
        f.get(pb).mem('v128.load32_splat').set(vb);
        loop(true, false);
      }, () => {
        when(f, I.and(I.eq(sa, 0), I.eq(sb, 1)), () => {
          f.get(pa).mem('v128.load32_splat').set(va);
          loop(false, true);
        });
      });
    });
  }
  // the remainder, and rows with other strides
  const sab = f.local('i32'), sbb = f.local('i32');
  assign(f, sab, I.shl(sa, 2));
  assign(f, sbb, I.shl(sb, 2));
  forRange(f, i, i, count, 1, () => {
    f.get(py).get(pa).mem('f32.load').get(pb).mem('f32.load');
    e.scalar(f);
    f.mem('f32.store');
    addTo(f, pa, sab);
    addTo(f, pb, sbb);
    addTo(f, py, 4);
  });
}

/**
 * y = scale·x + shift computed in float64 and rounded once, as the reference backend does (so the
 * bits agree): two float64 lanes per half vector.
 */
function emitAffine(f: FunctionBuilder, vec: Vec, params: Local): void {
  const scale = f.local('f64'), shift = f.local('f64');
  f.get(params).mem('f64.load', AFFINE_FIELDS.scale).set(scale);
  f.get(params).mem('f64.load', AFFINE_FIELDS.shift).set(shift);
  // v128 locals only in a SIMD module (an engine without SIMD rejects the type)
  const splat = (s: Local) => { if (!vec.simd) return s; const v = f.local('v128'); f.get(s).op('f64x2.splat').set(v); return v; };
  const s2 = splat(scale), t2 = splat(shift);
  const half = () => { f.op('f64x2.promote_low_f32x4').get(s2).op('f64x2.mul').get(t2).op('f64x2.add').op('f32x4.demote_f64x2_zero'); };
  emitRangeMap(f, vec, params, AFFINE_FIELDS, (v) => {
    f.get(v); half();
    f.get(v).get(v).f32x4Shuffle([2, 3, 0, 1]); half();
    f.f32x4Shuffle([0, 1, 4, 5]);
  }, (v) => {
    f.get(v).op('f64.promote_f32').get(scale).op('f64.mul').get(shift).op('f64.add').op('f32.demote_f64');
  });
}
