/**
 * The weight gradient of the implicit-GEMM convolutions: dWᵀ[k][oc] = Σ_pixels prep[off[k] +
 * pix[p]] · dYᵀ[p][oc], a GEMM whose depth is the image's pixels. Per image, dY is transposed to
 * pixel-major rows of output channels (4×4 vector transposes) and the image copied into the
 * layout of conv-implicit-layout.ts; a micro-tile of 4 patch rows × 8 output channels keeps its
 * sums in registers over all pixels (one flat loop: pix[] holds each output pixel's place in a
 * plane, so the rows of the layout need no special step), then adds them into the thread's
 * partial dWᵀ. convTransposeSum adds the threads' partials into dW in thread order.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, when } from '../emit.js';
import { PREP_FIELDS, prepareImage, readPrepFields, type Madd } from './conv-implicit-layout.js';

/** patch rows and output channels per micro-tile */
export const WG_ROWS = 4;
export const WG_CHANNELS = 8;

/**
 * off: Kp byte offsets of the patch rows (Kp a multiple of WG_ROWS); pix: HW byte offsets of the
 * output pixels in a plane; dy [n, M, HW] (M a multiple of WG_CHANNELS, HW of 4); per-thread
 * scratch dyT (HW·M floats) and partial (Kp·M floats, zeroed here).
 */
export const IMPLICIT_WEIGHT_GRAD_FIELDS = fields([...PREP_FIELDS, 'off', 'K', 'pix', 'dy', 'M', 'HW', 'b0', 'b1', 'dyT', 'partial'] as const);

/** dst[m·K + k] (+)= partial[k·M + m] for m in [m0, m1), k < K */
export const TRANSPOSE_SUM_FIELDS = fields(['partial', 'dst', 'M', 'K', 'accumulate', 'm0', 'm1'] as const);

export const IMPLICIT_WEIGHT_GRAD_DRIVERS = ['convImplicitWeightGrad', 'convTransposeSum'] as const;

export function emitImplicitWeightGrad(mod: ModuleBuilder, madd: Madd, prepare: number): void {
  const transpose = mod.func('convTransposeDy', Array(4).fill('i32'), [], (f, ...a) => emitTransposeDy(f, a), false);

  mod.func('convImplicitWeightGrad', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, IMPLICIT_WEIGHT_GRAD_FIELDS);
    const R = readPrepFields(P);
    const off = P('off'), K = P('K'), pix = P('pix'), dy = P('dy'), M = P('M'), HW = P('HW');
    const b0 = P('b0'), b1 = P('b1'), dyT = P('dyT'), partial = P('partial');
    const b = f.local('i32'), kb = f.local('i32'), ob = f.local('i32'), po = f.local('i32'), end = f.local('i32');
    const dq = f.local('i32'), o = f.local('i32'), mBytes = f.local('i32'), part = f.local('i32');
    const rows = Array.from({ length: WG_ROWS }, () => f.local('i32'));
    const acc = Array.from({ length: WG_ROWS }, () => [f.local('v128'), f.local('v128')] as const);
    const bv0 = f.local('v128'), bv1 = f.local('v128'), av = f.local('v128');
    f.get(R('prep')).i32(0).get(R('prepBytes')).memoryFill();
    f.get(partial).i32(0);
    emit(f, I.shl(I.mul(K, M), 2));
    f.memoryFill();
    assign(f, mBytes, I.shl(M, 2));
    assign(f, end, I.at4(pix, HW));
    forRange(f, b, b0, b1, 1, () => {
      prepareImage(f, prepare, R, b);
      emit(f, I.at4(dy, I.mul(I.mul(b, M), HW)));
      for (const x of [dyT, M, HW]) f.get(x);
      f.call(transpose);
      forRange(f, kb, 0, K, WG_ROWS, () => {
        rows.forEach((row, r) => assign(f, row, I.add(R('prep'), I.load(I.at4(off, kb), 4 * r))));
        forRange(f, ob, 0, M, WG_CHANNELS, () => {
          for (const [l0, l1] of acc) { f.f32x4Const(0).set(l0); f.f32x4Const(0).set(l1); }
          assign(f, po, pix);
          assign(f, dq, I.at4(dyT, ob));
          // every pixel of the image (HW ≥ 4)
          f.loop((top) => {
            f.get(po).mem('i32.load').set(o);
            f.get(dq).mem('v128.load').set(bv0);
            f.get(dq).mem('v128.load', 16).set(bv1);
            rows.forEach((row, r) => {
              f.get(row).get(o).op('i32.add').mem('v128.load32_splat').set(av);
              madd(f, acc[r]![0], av, bv0);
              madd(f, acc[r]![1], av, bv1);
            });
            addTo(f, po, 4);
            addTo(f, dq, mBytes);
            emit(f, I.lt(po, end));
            f.brIf(top);
          });
          // partialᵀ[kb + r][ob .. ob + 7] += the tile's row r
          acc.forEach(([l0, l1], r) => {
            assign(f, part, I.at4(partial, I.add(I.mul(I.add(kb, r), M), ob)));
            f.get(part).get(part).mem('v128.load').get(l0).op('f32x4.add').mem('v128.store');
            f.get(part).get(part).mem('v128.load', 16).get(l1).op('f32x4.add').mem('v128.store', 16);
          });
        });
      });
    });
  });

  mod.func('convTransposeSum', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, TRANSPOSE_SUM_FIELDS);
    const partial = P('partial'), dst = P('dst'), M = P('M'), K = P('K'), accumulate = P('accumulate'), m0 = P('m0'), m1 = P('m1');
    const m = f.local('i32'), k = f.local('i32'), src = f.local('i32'), d = f.local('i32'), mBytes = f.local('i32'), v = f.local('f32');
    assign(f, mBytes, I.shl(M, 2));
    assign(f, d, I.at4(dst, I.mul(m0, K)));
    forRange(f, m, m0, m1, 1, () => {
      assign(f, src, I.at4(partial, m));
      forRange(f, k, 0, K, 1, () => {
        f.get(src).mem('f32.load').set(v);
        when(f, accumulate, () => { f.get(v).get(d).mem('f32.load').op('f32.add').set(v); });
        f.get(d).get(v).mem('f32.store');
        addTo(f, src, mBytes);
        addTo(f, d, 4);
      });
    });
  });
}

/** (dy, dyT, M, HW): dyT[p][m] = dy[m][p] for an image, in 4 × 4 blocks (M and HW multiples of 4) */
function emitTransposeDy(f: FunctionBuilder, args: Local[]): void {
  const [dy, dyT, M, HW] = args as [Local, Local, Local, Local];
  const m = f.local('i32'), p = f.local('i32'), src = f.local('i32'), dst = f.local('i32'), hwBytes = f.local('i32'), mBytes = f.local('i32');
  const r = [0, 1, 2, 3].map(() => f.local('v128')), t = [0, 1, 2, 3].map(() => f.local('v128'));
  assign(f, hwBytes, I.shl(HW, 2));
  assign(f, mBytes, I.shl(M, 2));
  forRange(f, m, 0, M, 4, () => {
    forRange(f, p, 0, HW, 4, () => {
      assign(f, src, I.at4(dy, I.add(I.mul(m, HW), p)));
      r.forEach((l, i) => emit(f, I.add(src, I.mul(hwBytes, i))) === undefined && f.mem('v128.load').set(l));
      // rows m .. m+3 × pixels p .. p+3 → pixel rows: interleave pairs, then halves
      f.get(r[0]!).get(r[1]!).f32x4Shuffle([0, 4, 1, 5]).set(t[0]!);
      f.get(r[2]!).get(r[3]!).f32x4Shuffle([0, 4, 1, 5]).set(t[1]!);
      f.get(r[0]!).get(r[1]!).f32x4Shuffle([2, 6, 3, 7]).set(t[2]!);
      f.get(r[2]!).get(r[3]!).f32x4Shuffle([2, 6, 3, 7]).set(t[3]!);
      assign(f, dst, I.at4(dyT, I.add(I.mul(p, M), m)));
      const column = (a: Local, c: Local, lanes: readonly [number, number, number, number]) => {
        f.get(dst).get(a).get(c).f32x4Shuffle(lanes).mem('v128.store');
        addTo(f, dst, mBytes);
      };
      column(t[0]!, t[1]!, [0, 1, 4, 5]);
      column(t[0]!, t[1]!, [2, 3, 6, 7]);
      column(t[2]!, t[3]!, [0, 1, 4, 5]);
      column(t[2]!, t[3]!, [2, 3, 6, 7]);
    });
  });
}
