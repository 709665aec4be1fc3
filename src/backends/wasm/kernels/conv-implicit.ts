/**
 * Implicit-GEMM convolutions (SIMD only): no patch matrix is packed. Each image is first copied
 * into a zero-padded, phase-split layout [s·s phases][channels][PH][PW] (phase (a, b) holds the
 * padded input's rows ≡ a and columns ≡ b mod the stride s), in which every patch row (c, kh, kw)
 * over 8 output pixels of one output row is 8 consecutive floats at a fixed offset from the
 * pixels' base. A table of those byte offsets (one per GEMM depth index) replaces im2col:
 *
 * - convImplicit: out[MR channels × 8 pixels] = Σ_k A[k] · prep[pixel + off[k]], A the packed
 *   weights. The forward convolution is one such GEMM per image; the stride-2 input gradient is
 *   four (one per output phase, each a stride-1 correlation of the padded dY with the taps of
 *   that phase), interleaved into dX afterwards.
 * - convImplicitWeightGrad: dW[oc, k] = Σ_pixels dY[oc, pixel] · prep[pixel + off[k]], vectors
 *   over 4 pixels, summed per thread into a lane-wise partial (convLaneSums adds the lanes).
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { fields } from '../layout.js';
import { I, addTo, assign, emit, fieldReader, forRange, forUnits, when, type Ex } from '../emit.js';

/** output channels per micro-tile, and pixels (two vectors) */
export const IMPLICIT_MR = 4;
export const IMPLICIT_PIXELS = 8;
/** depth indices per weight-gradient tile (the offset table is padded to a multiple) */
export const IMPLICIT_WG_K = 2;

/**
 * The shared input layout: image src [C, H, W] (srcImage bytes apart) copied into prep with
 * stride s, padding (pT, pL) and PH × PW planes (prepBytes in all, zeroed once per call).
 */
const PREP = ['src', 'srcImage', 'C', 'H', 'W', 's', 'pT', 'pL', 'PH', 'PW', 'prep', 'prepBytes'] as const;

/**
 * table: nph records [packed weights address, offset table address, depth K]; M output channels
 * (a multiple of MR); rows × cols output pixels per phase (cols a multiple of 8). interleave 0:
 * phase 0 writes dst + b·dstImage directly; 1 (stride 2): the four phases go to phaseBuf, then
 * into dst's [M, 2·rows, 2·cols] image.
 */
export const IMPLICIT_FIELDS = fields([
  ...PREP, 'table', 'nph', 'M', 'rows', 'cols', 'dst', 'dstImage', 'interleave', 'phaseBuf', 'b0', 'b1', 'dyn',
] as const);

/** dy [n, M, rows, cols]; off: K byte offsets (K a multiple of IMPLICIT_WG_K); partial: M·K v128 sums, zeroed here */
export const IMPLICIT_WEIGHT_GRAD_FIELDS = fields([...PREP, 'off', 'K', 'dy', 'M', 'rows', 'cols', 'b0', 'b1', 'partial'] as const);

/** dst[m·K + k] (+)= the lane sum of partial[m·Kp + k] for m < M, k < K */
export const LANE_SUM_FIELDS = fields(['partial', 'dst', 'M', 'K', 'Kp', 'accumulate'] as const);

export const IMPLICIT_DRIVERS = ['convImplicit', 'convImplicitWeightGrad', 'convLaneSums'] as const;

export function emitConvImplicit(mod: ModuleBuilder, simd: boolean, fma: boolean): void {
  if (!simd) {
    // the chooser never picks these without SIMD; every module exports the same drivers
    for (const name of IMPLICIT_DRIVERS) mod.func(name, ['i32'], [], (f) => { f.op('unreachable'); });
    return;
  }
  const madd = (f: FunctionBuilder, acc: Local, a: Local, b: Local) => {
    if (fma) f.get(a).get(b).get(acc).op('f32x4.relaxed_madd').set(acc);
    else f.get(acc).get(a).get(b).op('f32x4.mul').op('f32x4.add').set(acc);
  };
  const prepare = mod.func('convImplicitPrepare', Array(10).fill('i32'), [], (f, ...a) => emitPrepare(f, a), false);
  const micro = mod.func('convImplicitMicro', Array(6).fill('i32'), [], (f, ...a) => emitMicro(f, madd, a), false);

  // (a, off, K, M, rows, cols, PW, prep, dst, ldc): every micro-tile of one GEMM over a prepared image
  const tiles = mod.func('convImplicitTiles', Array(10).fill('i32'), [], (f, a, off, K, M, rows, cols, PW, prep, dst, ldc) => {
    const mb = f.local('i32'), oh = f.local('i32'), ow = f.local('i32'), ap = f.local('i32'), dm = f.local('i32');
    // pixels outer: the patch rows of one pixel block stay in L1 while the weights stream past
    forRange(f, oh, 0, rows!, 1, () => {
      forRange(f, ow, 0, cols!, IMPLICIT_PIXELS, () => {
        forRange(f, mb, 0, M!, IMPLICIT_MR, () => {
          assign(f, ap, I.add(a!, I.shl(I.mul(mb, K!), 2)));
          assign(f, dm, I.add(dst!, I.mul(mb, ldc!)));
          for (const x of [ap, off!, K!]) f.get(x);
          emit(f, I.at4(prep!, I.add(I.mul(oh, PW!), ow)));
          emit(f, I.at4(dm, I.add(I.mul(oh, cols!), ow)));
          f.get(ldc!);
          f.call(micro);
        });
      });
    });
  }, false);

  const prepareImage = (f: FunctionBuilder, P: (n: (typeof PREP)[number]) => Local, b: Local) => {
    emit(f, I.add(P('src'), I.mul(b, P('srcImage'))));
    for (const n of ['C', 'H', 'W', 's', 'pT', 'pL', 'PH', 'PW', 'prep'] as const) f.get(P(n));
    f.call(prepare);
  };

  mod.func('convImplicit', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, IMPLICIT_FIELDS);
    const fieldsRead = Object.fromEntries(PREP.map((n) => [n, P(n)])) as Record<(typeof PREP)[number], Local>;
    const R = (n: (typeof PREP)[number]) => fieldsRead[n];
    const table = P('table'), nph = P('nph'), M = P('M'), rows = P('rows'), cols = P('cols'), dst = P('dst');
    const dstImage = P('dstImage'), interleave = P('interleave'), phaseBuf = P('phaseBuf'), b0 = P('b0'), b1 = P('b1'), dyn = P('dyn');
    const u = f.local('i32'), b = f.local('i32'), q = f.local('i32'), rec = f.local('i32'), out = f.local('i32'), planeBytes = f.local('i32');
    f.get(R('prep')).i32(0).get(R('prepBytes')).memoryFill();
    assign(f, planeBytes, I.shl(I.mul(rows, cols), 2));
    forUnits(f, u, I.sub(b1, b0), dyn, () => {
      assign(f, b, I.add(b0, u));
      prepareImage(f, R, b);
      assign(f, out, I.add(dst, I.mul(b, dstImage)));
      forRange(f, q, 0, nph, 1, () => {
        assign(f, rec, I.add(table, I.mul(q, 12)));
        emit(f, I.load(rec, 0)); emit(f, I.load(rec, 4)); emit(f, I.load(rec, 8));
        for (const x of [M, rows, cols, R('PW'), R('prep')]) f.get(x);
        emit(f, I.select(interleave, I.add(phaseBuf, I.mul(I.mul(q, M), planeBytes)), out));
        f.get(planeBytes);
        f.call(tiles);
      });
      when(f, interleave, () => emitInterleave(f, phaseBuf, out, M, rows, cols, planeBytes));
    });
  });

  mod.func('convImplicitWeightGrad', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, IMPLICIT_WEIGHT_GRAD_FIELDS);
    const fieldsRead = Object.fromEntries(PREP.map((n) => [n, P(n)])) as Record<(typeof PREP)[number], Local>;
    const R = (n: (typeof PREP)[number]) => fieldsRead[n];
    const off = P('off'), K = P('K'), dy = P('dy'), M = P('M'), rows = P('rows'), cols = P('cols');
    const b0 = P('b0'), b1 = P('b1'), partial = P('partial');
    const b = f.local('i32'), mb = f.local('i32'), kp = f.local('i32'), oh = f.local('i32'), ow = f.local('i32');
    const hwBytes = f.local('i32'), dyb = f.local('i32'), p0 = f.local('i32'), p1 = f.local('i32'), dq = f.local('i32');
    const rowSkip = f.local('i32'), part = f.local('i32');
    const strides = [1, 2, 3].map(() => f.local('i32'));
    const acc = Array.from({ length: IMPLICIT_MR }, () => Array.from({ length: IMPLICIT_WG_K }, () => f.local('v128')));
    const xv = Array.from({ length: IMPLICIT_WG_K }, () => f.local('v128'));
    const dv = f.local('v128');
    f.get(R('prep')).i32(0).get(R('prepBytes')).memoryFill();
    f.get(partial).i32(0);
    emit(f, I.shl(I.mul(M, K), 4));
    f.memoryFill();
    assign(f, hwBytes, I.shl(I.mul(rows, cols), 2));
    strides.forEach((l, i) => assign(f, l, I.mul(hwBytes, i + 1)));
    assign(f, rowSkip, I.shl(I.sub(R('PW'), cols), 2));
    forRange(f, b, b0, b1, 1, () => {
      prepareImage(f, R, b);
      assign(f, dyb, I.add(dy, I.mul(I.mul(b, M), hwBytes)));
      forRange(f, mb, 0, M, IMPLICIT_MR, () => {
        forRange(f, kp, 0, K, IMPLICIT_WG_K, () => {
          for (const row of acc) for (const l of row) { f.f32x4Const(0).set(l); }
          assign(f, p0, I.add(R('prep'), I.load(I.at4(off, kp), 0)));
          assign(f, p1, I.add(R('prep'), I.load(I.at4(off, kp), 4)));
          assign(f, dq, I.add(dyb, I.mul(mb, hwBytes)));
          forRange(f, oh, 0, rows, 1, () => {
            forRange(f, ow, 0, cols, 4, () => {
              f.get(p0).mem('v128.load').set(xv[0]!);
              f.get(p1).mem('v128.load').set(xv[1]!);
              for (let r = 0; r < IMPLICIT_MR; r++) {
                f.get(dq);
                if (r > 0) f.get(strides[r - 1]!).op('i32.add');
                f.mem('v128.load').set(dv);
                for (let k = 0; k < IMPLICIT_WG_K; k++) madd(f, acc[r]![k]!, dv, xv[k]!);
              }
              addTo(f, p0, 16); addTo(f, p1, 16); addTo(f, dq, 16);
            });
            addTo(f, p0, rowSkip); addTo(f, p1, rowSkip);
          });
          // partial[(mb + r)·K + kp + k] += acc[r][k]
          for (let r = 0; r < IMPLICIT_MR; r++) {
            assign(f, part, I.add(partial, I.shl(I.add(I.mul(I.add(mb, r), K), kp), 4)));
            for (let k = 0; k < IMPLICIT_WG_K; k++) {
              f.get(part).get(part).mem('v128.load', 16 * k).get(acc[r]![k]!).op('f32x4.add').mem('v128.store', 16 * k);
            }
          }
        });
      });
    });
  });

  mod.func('convLaneSums', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, LANE_SUM_FIELDS);
    const partial = P('partial'), dst = P('dst'), M = P('M'), K = P('K'), Kp = P('Kp'), accumulate = P('accumulate');
    const m = f.local('i32'), k = f.local('i32'), src = f.local('i32'), d = f.local('i32'), v = f.local('v128'), s = f.local('f32');
    forRange(f, m, 0, M, 1, () => {
      assign(f, src, I.add(partial, I.shl(I.mul(m, Kp), 4)));
      assign(f, d, I.at4(dst, I.mul(m, K)));
      forRange(f, k, 0, K, 1, () => {
        f.get(src).mem('v128.load').set(v);
        // fixed order ((l0 + l1) + l2) + l3
        f.get(v).lane('f32x4.extract_lane', 0).get(v).lane('f32x4.extract_lane', 1).op('f32.add');
        f.get(v).lane('f32x4.extract_lane', 2).op('f32.add').get(v).lane('f32x4.extract_lane', 3).op('f32.add').set(s);
        when(f, accumulate, () => { f.get(s).get(d).mem('f32.load').op('f32.add').set(s); });
        f.get(d).get(s).mem('f32.store');
        addTo(f, src, 16);
        addTo(f, d, 4);
      });
    });
  });
}

/**
 * out[r][pixel 0..7] = Σ_k a[k·MR + r] · src[off[k] + pixel], stored at dst + r·ldc.
 * Arguments (a, off, K, src, dst, ldc), addresses and ldc in bytes; K ≥ 1.
 */
function emitMicro(f: FunctionBuilder, madd: (f: FunctionBuilder, acc: Local, a: Local, b: Local) => void, args: Local[]): void {
  const [a, off, K, src, dst, ldc] = args as [Local, Local, Local, Local, Local, Local];
  const acc = Array.from({ length: IMPLICIT_MR }, () => [f.local('v128'), f.local('v128')] as const);
  for (const [l0, l1] of acc) { f.f32x4Const(0).set(l0); f.f32x4Const(0).set(l1); }
  const b0 = f.local('v128'), b1 = f.local('v128'), av = f.local('v128'), p = f.local('i32'), end = f.local('i32');
  assign(f, end, I.add(off, I.shl(K, 2)));
  f.loop((top) => {
    assign(f, p, I.add(src, I.load(off)));
    f.get(p).mem('v128.load').set(b0);
    f.get(p).mem('v128.load', 16).set(b1);
    for (let r = 0; r < IMPLICIT_MR; r++) {
      f.get(a).mem('v128.load32_splat', r * 4).set(av);
      madd(f, acc[r]![0], av, b0);
      madd(f, acc[r]![1], av, b1);
    }
    addTo(f, a, IMPLICIT_MR * 4);
    addTo(f, off, 4);
    emit(f, I.lt(off, end));
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

/**
 * (src, C, H, W, s, pT, pL, PH, PW, dst): dst[(a·s + b)·C + c][i][j] = src[c][ih][iw] where
 * ih + pT = i·s + a and iw + pL = j·s + b; positions no input lands on are left as they are.
 * Rows are copied with vectors for s = 1 (4 floats at a time) and s = 2 (8 floats split into even
 * and odd columns), the rest of a row one float at a time.
 */
function emitPrepare(f: FunctionBuilder, args: Local[]): void {
  const [src, C, H, W, s, pT, pL, PH, PW, dst] = args as [Local, Local, Local, Local, Local, Local, Local, Local, Local, Local];
  const L = () => f.local('i32');
  const planeBytes = L(), phaseBytes = L(), c = L(), ih = L(), r = L(), rowDst = L(), srow = L(), iw = L();
  const cc = L(), dE = L(), dO = L(), vecEnd = L();
  const v0 = f.local('v128'), v1 = f.local('v128');
  assign(f, planeBytes, I.shl(I.mul(PH, PW), 2));
  assign(f, phaseBytes, I.mul(C, planeBytes));
  assign(f, srow, src);
  forRange(f, c, 0, C, 1, () => {
    forRange(f, ih, 0, H, 1, () => {
      assign(f, r, I.add(ih, pT));
      // the row's phase-(a, 0) start: dst + a·s·phaseBytes + c·planeBytes + (r / s)·PW·4
      const a: Ex = (g) => { emit(g, r); emit(g, s); g.op('i32.rem_u'); };
      const i: Ex = (g) => { emit(g, r); emit(g, s); g.op('i32.div_u'); };
      assign(f, rowDst, I.add(I.add(dst, I.mul(I.mul(a, s), phaseBytes)), I.add(I.mul(c, planeBytes), I.shl(I.mul(i, PW), 2))));
      // each vector loop leaves iw at the first column it did not copy
      assign(f, iw, 0);
      when(f, I.eq(s, 1), () => {
        assign(f, dE, I.at4(rowDst, pL));
        assign(f, vecEnd, I.sub(W, 3));
        forRange(f, iw, 0, vecEnd, 4, () => {
          f.get(dE).get(srow).get(iw).i32(2).op('i32.shl').op('i32.add').mem('v128.load').mem('v128.store');
          addTo(f, dE, 16);
        });
      });
      when(f, I.eq(s, 2), () => {
        // even columns land in phase b = pL mod 2 from column pL / 2, odd ones in the other
        assign(f, cc, I.add(pL, 1));
        assign(f, dE, I.add(I.add(rowDst, I.mul(I.and(pL, 1), phaseBytes)), I.shl(I.shr(pL, 1), 2)));
        assign(f, dO, I.add(I.add(rowDst, I.mul(I.and(cc, 1), phaseBytes)), I.shl(I.shr(cc, 1), 2)));
        assign(f, vecEnd, I.sub(W, 7));
        forRange(f, iw, 0, vecEnd, 8, () => {
          f.get(srow).get(iw).i32(2).op('i32.shl').op('i32.add').set(cc);
          f.get(cc).mem('v128.load').set(v0);
          f.get(cc).mem('v128.load', 16).set(v1);
          f.get(dE).get(v0).get(v1).f32x4Shuffle([0, 2, 4, 6]).mem('v128.store');
          f.get(dO).get(v0).get(v1).f32x4Shuffle([1, 3, 5, 7]).mem('v128.store');
          addTo(f, dE, 16); addTo(f, dO, 16);
        });
      });
      // the rest of the row (all of it for other strides)
      f.block((exit) => {
        f.loop((top) => {
          emit(f, I.ge(iw, W)); f.brIf(exit);
          assign(f, cc, I.add(iw, pL));
          const b: Ex = (g) => { emit(g, cc); emit(g, s); g.op('i32.rem_u'); };
          const j: Ex = (g) => { emit(g, cc); emit(g, s); g.op('i32.div_u'); };
          emit(f, I.add(I.add(rowDst, I.mul(b, phaseBytes)), I.shl(j, 2)));
          emit(f, I.at4(srow, iw));
          f.mem('f32.load').mem('f32.store');
          addTo(f, iw, 1);
          f.br(top);
        });
      });
      assign(f, srow, I.at4(srow, W));
    });
  });
}

/** dX[c][2i + a][2j + b] = phase (a, b)[c][i][j], phases [4][M][rows][cols] at buf (cols a multiple of 4) */
function emitInterleave(f: FunctionBuilder, buf: Local, out: Local, M: Local, rows: Local, cols: Local, planeBytes: Local): void {
  const c = f.local('i32'), i = f.local('i32'), a = f.local('i32'), j = f.local('i32');
  const e = f.local('i32'), o = f.local('i32'), d = f.local('i32'), phaseBytes = f.local('i32');
  const ev = f.local('v128'), ov = f.local('v128');
  assign(f, phaseBytes, I.mul(M, planeBytes));
  assign(f, d, out);
  forRange(f, c, 0, M, 1, () => {
    forRange(f, i, 0, rows, 1, () => {
      forRange(f, a, 0, 2, 1, () => {
        assign(f, e, I.add(I.add(buf, I.mul(I.mul(a, 2), phaseBytes)), I.add(I.mul(c, planeBytes), I.shl(I.mul(i, cols), 2))));
        assign(f, o, I.add(e, phaseBytes));
        forRange(f, j, 0, cols, 4, () => {
          f.get(e).mem('v128.load').set(ev);
          f.get(o).mem('v128.load').set(ov);
          f.get(d).get(ev).get(ov).f32x4Shuffle([0, 4, 1, 5]).mem('v128.store');
          f.get(d).get(ev).get(ov).f32x4Shuffle([2, 6, 3, 7]).mem('v128.store', 16);
          addTo(f, e, 16); addTo(f, o, 16); addTo(f, d, 32);
        });
      });
    });
  });
}
