/**
 * Implicit-GEMM convolutions (SIMD only): no patch matrix is packed. Each image is first copied
 * into a zero-padded, phase-split layout [s·s phases][channels][PH][PW] (phase (a, b) holds the
 * padded input's rows ≡ a and columns ≡ b mod the stride s), in which every patch row (c, kh, kw)
 * over 8 output pixels of one output row is 8 consecutive floats at a fixed offset from the
 * pixels' base. A table of those byte offsets (one per GEMM depth index) replaces im2col:
 *
 * - convImplicit: out[MR channels × 8 pixels] = Σ_k A[k] · prep[pixel + off[k]], A the packed
 *   weights (each with its offset: one record per depth step). The forward convolution is one
 *   such GEMM per image; the stride-2 input gradient is four (one per output phase, each a
 *   stride-1 correlation of the padded dY with the taps of that phase), interleaved into dX.
 * - convImplicitWeightGrad (conv-implicit-weight-grad.ts): dW[oc, k] = Σ_pixels dY[oc, pixel] ·
 *   prep[pixel + off[k]].
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, forUnits, when } from '../emit.js';
import { IMPLICIT_WEIGHT_GRAD_DRIVERS, emitImplicitWeightGrad } from './conv-implicit-weight-grad.js';
import { PREP_FIELDS, emitPrepareFunction, maddOf, prepareImage, readPrepFields, type Madd } from './conv-implicit-layout.js';

/** output channels per micro-tile, and pixels (two vectors) */
export const IMPLICIT_MR = 4;
export const IMPLICIT_PIXELS = 8;
/** a depth step of a packed GEMM: the patch row's byte offset, then the MR weights */
export const IMPLICIT_RECORD_BYTES = 4 * (1 + IMPLICIT_MR);

/**
 * table: nph entries [records address, depth K]: per MR-row panel, K records of (patch-row byte
 * offset, MR weights); M output channels (a multiple of MR); rows × cols output pixels per phase
 * (cols a multiple of 8). interleave 0:
 * phase 0 writes dst + b·dstImage directly; 1 (stride 2): the four phases go to phaseBuf, then
 * into dst's [M, 2·rows, 2·cols] image.
 */
export const IMPLICIT_FIELDS = fields([
  ...PREP_FIELDS, 'table', 'nph', 'M', 'rows', 'cols', 'dst', 'dstImage', 'interleave', 'phaseBuf', 'b0', 'b1', 'dyn',
] as const);

export const IMPLICIT_DRIVERS = ['convImplicit', ...IMPLICIT_WEIGHT_GRAD_DRIVERS] as const;

export function emitConvImplicit(mod: ModuleBuilder, simd: boolean, fma: boolean): void {
  if (!simd) {
    // the chooser never picks these without SIMD; every module exports the same drivers
    for (const name of IMPLICIT_DRIVERS) mod.func(name, ['i32'], [], (f) => { f.op('unreachable'); });
    return;
  }
  const madd = maddOf(fma);
  const prepare = emitPrepareFunction(mod);
  const micro = mod.func('convImplicitMicro', Array(5).fill('i32'), [], (f, ...a) => emitMicro(f, madd, a), false);

  // (rec, K, M, rows, cols, PW, prep, dst, ldc): every micro-tile of one GEMM over a prepared image
  const tiles = mod.func('convImplicitTiles', Array(9).fill('i32'), [], (f, rec, K, M, rows, cols, PW, prep, dst, ldc) => {
    const mb = f.local('i32'), oh = f.local('i32'), ow = f.local('i32'), ap = f.local('i32'), dm = f.local('i32');
    // pixels outer: the patch rows of one pixel block stay in L1 while the weights stream past
    forRange(f, oh, 0, rows!, 1, () => {
      forRange(f, ow, 0, cols!, IMPLICIT_PIXELS, () => {
        forRange(f, mb, 0, M!, IMPLICIT_MR, () => {
          // panel mb / MR: K records
          assign(f, ap, I.add(rec!, I.mul(I.div(I.mul(mb, K!), IMPLICIT_MR), IMPLICIT_RECORD_BYTES)));
          assign(f, dm, I.add(dst!, I.mul(mb, ldc!)));
          for (const x of [ap, K!]) f.get(x);
          emit(f, I.at4(prep!, I.add(I.mul(oh, PW!), ow)));
          emit(f, I.at4(dm, I.add(I.mul(oh, cols!), ow)));
          f.get(ldc!);
          f.call(micro);
        });
      });
    });
  }, false);

  mod.func('convImplicit', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, IMPLICIT_FIELDS);
    const R = readPrepFields(P);
    const table = P('table'), nph = P('nph'), M = P('M'), rows = P('rows'), cols = P('cols'), dst = P('dst');
    const dstImage = P('dstImage'), interleave = P('interleave'), phaseBuf = P('phaseBuf'), b0 = P('b0'), b1 = P('b1'), dyn = P('dyn');
    const u = f.local('i32'), b = f.local('i32'), q = f.local('i32'), rec = f.local('i32'), out = f.local('i32'), planeBytes = f.local('i32');
    f.get(R('prep')).i32(0).get(R('prepBytes')).memoryFill();
    assign(f, planeBytes, I.shl(I.mul(rows, cols), 2));
    forUnits(f, u, I.sub(b1, b0), dyn, () => {
      assign(f, b, I.add(b0, u));
      prepareImage(f, prepare, R, b);
      assign(f, out, I.add(dst, I.mul(b, dstImage)));
      forRange(f, q, 0, nph, 1, () => {
        assign(f, rec, I.add(table, I.mul(q, 8)));
        emit(f, I.load(rec, 0)); emit(f, I.load(rec, 4));
        for (const x of [M, rows, cols, R('PW'), R('prep')]) f.get(x);
        emit(f, I.select(interleave, I.add(phaseBuf, I.mul(I.mul(q, M), planeBytes)), out));
        f.get(planeBytes);
        f.call(tiles);
      });
      when(f, interleave, () => emitInterleave(f, phaseBuf, out, M, rows, cols, planeBytes));
    });
  });

  emitImplicitWeightGrad(mod, madd, prepare);
}

/**
 * out[r][pixel 0..7] = Σ_k w_k[r] · src[off_k + pixel], stored at dst + r·ldc, from the records
 * [off_k (i32), w_k[0 .. MR−1]] at rec (one stream: the offset and the weights advance together).
 * Arguments (rec, K, src, dst, ldc), addresses and ldc in bytes; K ≥ 1.
 */
function emitMicro(f: FunctionBuilder, madd: Madd, args: Local[]): void {
  const [rec, K, src, dst, ldc] = args as [Local, Local, Local, Local, Local];
  const acc = Array.from({ length: IMPLICIT_MR }, () => [f.local('v128'), f.local('v128')] as const);
  for (const [l0, l1] of acc) { f.f32x4Const(0).set(l0); f.f32x4Const(0).set(l1); }
  const b0 = f.local('v128'), b1 = f.local('v128'), av = f.local('v128'), p = f.local('i32'), end = f.local('i32');
  assign(f, end, I.add(rec, I.mul(K, IMPLICIT_RECORD_BYTES)));
  f.loop((top) => {
    assign(f, p, I.add(src, I.load(rec)));
    f.get(p).mem('v128.load').set(b0);
    f.get(p).mem('v128.load', 16).set(b1);
    for (let r = 0; r < IMPLICIT_MR; r++) {
      f.get(rec).mem('v128.load32_splat', 4 + r * 4).set(av);
      madd(f, acc[r]![0], av, b0);
      madd(f, acc[r]![1], av, b1);
    }
    addTo(f, rec, IMPLICIT_RECORD_BYTES);
    emit(f, I.lt(rec, end));
    f.brIf(top);
  });
  const row = f.local('i32');
  assign(f, row, dst);
  acc.forEach(([l0, l1], r) => {
    if (r > 0) addTo(f, row, ldc);
    f.get(row).get(l0).mem('v128.store');
    f.get(row).get(l1).mem('v128.store', 16);
  });
}

/** dX[c][2i + a][2j + b] = phase (a, b)[c][i][j], phases [4][M][rows][cols] at buf (cols a multiple of 4) */
function emitInterleave(f: FunctionBuilder, buf: Local, out: Local, M: Local, rows: Local, cols: Local, planeBytes: Local): void {
  // phase rows in (c, i) order are consecutive in each phase, as are dX's rows: four read streams, one write stream
  const n = f.local('i32'), j = f.local('i32'), d = f.local('i32'), phaseBytes = f.local('i32');
  const streams = [0, 1, 2, 3].map(() => f.local('i32'));
  const ev = f.local('v128'), ov = f.local('v128');
  assign(f, phaseBytes, I.mul(M, planeBytes));
  streams.forEach((l, q) => assign(f, l, I.add(buf, I.mul(phaseBytes, q))));
  assign(f, d, out);
  forRange(f, n, 0, I.mul(M, rows), 1, () => {
    for (const [e, o] of [[streams[0]!, streams[1]!], [streams[2]!, streams[3]!]] as const) {
      forRange(f, j, 0, cols, 4, () => {
        f.get(e).mem('v128.load').set(ev);
        f.get(o).mem('v128.load').set(ov);
        f.get(d).get(ev).get(ov).f32x4Shuffle([0, 4, 1, 5]).mem('v128.store');
        f.get(d).get(ev).get(ov).f32x4Shuffle([2, 6, 3, 7]).mem('v128.store', 16);
        addTo(f, e, 16); addTo(f, o, 16); addTo(f, d, 32);
      });
    }
  });
}
