/**
 * Convolutions as GEMMs over packed patches (NCHW, groups, stride, padding, dilation):
 *
 * - forward, per image and group: Y[ocg × HW] = W[ocg × K] · cols[K × HW], K = icg·kH·kW. W is packed
 *   once per call; the patch matrix is never materialised: im2col writes each kc × nc block straight
 *   into the packed B micro-panel layout in the thread's scratch.
 * - weight grad: dW[ocg × K] += dY[ocg × HW] · colsᵀ[HW × K], summed over the thread's images; the
 *   transposed im2col writes K-column micro-panels whose depth is pixels.
 * - input grad (any stride): dCols[K × nb] = Wᵀ · dY[:, block], then col2im adds them into dX. (Stride 1
 *   is cheaper as a forward convolution with flipped weights; the runtime does that.)
 *
 * The patch walk is shared: for each row r = (c, kh, kw) of the patch matrix it walks the pixels of
 * the block one output row at a time, splitting each row into [zeros | input run | zeros] from the
 * precomputed valid ow range, so the inner loops do no bounds checks.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { CONV_FIELDS } from '../layout.js';
import { I, addTo, assign, emit, forRange, forUnits, when, type Ex, fieldReader } from '../emit.js';
import type { GemmFunctions, GemmShape } from './gemm.js';
import type { UtilFunctions } from './util.js';
import type { Vec } from './vec.js';

type WalkMode = 'pack' | 'packT' | 'col2im';

export interface ConvFunctions {
  convForward: number;
  convBackwardWeight: number;
  convBackwardInputCol2im: number;
}

export function emitConv(mod: ModuleBuilder, vec: Vec, shape: GemmShape, convNc: number,
  gemm: GemmFunctions, util: UtilFunctions): ConvFunctions {
  const NR = shape.nr, MR = shape.mr;
  if ((NR & (NR - 1)) !== 0) throw new Error(`conv codegen: NR=${NR} must be a power of two`);
  if (convNc % NR !== 0) throw new Error('conv codegen: convNc must be a multiple of NR');
  const walkSig = Array(8).fill('i32');
  const walks = {
    pack: mod.func('convPackPatches', walkSig, [], (f, ...a) => emitPatchWalk(f, vec, NR, 'pack', a), false),
    packT: mod.func('convPackPatchesT', walkSig, [], (f, ...a) => emitPatchWalk(f, vec, NR, 'packT', a), false),
    col2im: mod.func('convCol2im', walkSig, [], (f, ...a) => emitPatchWalk(f, vec, NR, 'col2im', a), false),
  };

  const convForward = mod.func('convForward', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, CONV_FIELDS);
    const x = P('x'), w = P('w'), y = P('y'), inC = P('inC'), outC = P('outC'), groups = P('groups');
    const khw = f.local('i32'), icg = f.local('i32'), ocg = f.local('i32'), K = f.local('i32'), HW = f.local('i32');
    const plane = f.local('i32'), ocgPad = f.local('i32');
    assign(f, khw, I.mul(P('kH'), P('kW')));
    assign(f, icg, I.div(inC, groups));
    assign(f, ocg, I.div(outC, groups));
    assign(f, K, I.mul(icg, khw));
    assign(f, HW, I.mul(P('outH'), P('outW')));
    assign(f, plane, I.mul(P('inH'), P('inW')));
    assign(f, ocgPad, I.mul(I.div(I.add(ocg, MR - 1), MR), MR));
    const bufA = P('bufA'), bufB = P('bufB'), tile = P('tile'), lo = P('lo'), hi = P('hi');
    const g = f.local('i32'), pc = f.local('i32'), kcb = f.local('i32'), b = f.local('i32');
    const jc = f.local('i32'), ncb = f.local('i32'), ic = f.local('i32'), xg = f.local('i32'), yg = f.local('i32');
    const aBlock = (gg: Ex, p: Ex): Ex => I.at4(bufA, I.add(I.mul(I.mul(gg, ocgPad), K), I.mul(ocgPad, p)));

    // weights of every group, packed once: [g][k block][MR panels]
    forRange(f, g, 0, groups, 1, () => {
      forRange(f, pc, 0, K, shape.kc, () => {
        assign(f, kcb, I.min(I.sub(K, pc), shape.kc));
        emit(f, I.at4(w, I.add(I.mul(I.mul(g, ocg), K), pc)));
        emit(f, I.shl(K, 2)); f.i32(4);
        for (const v of [ocg, kcb]) f.get(v);
        emit(f, aBlock(g, pc));
        f.call(gemm.packA);
      });
    });

    const b0 = P('b0'), b1 = P('b1'), dyn = P('dyn'), u = f.local('i32');
    forUnits(f, u, I.sub(b1, b0), dyn, () => {
      assign(f, b, I.add(b0, u));
      forRange(f, g, 0, groups, 1, () => {
        assign(f, xg, I.at4(x, I.mul(I.add(I.mul(b, inC), I.mul(g, icg)), plane)));
        assign(f, yg, I.at4(y, I.mul(I.add(I.mul(b, outC), I.mul(g, ocg)), HW)));
        forRange(f, jc, lo, hi, convNc, () => {
          assign(f, ncb, I.min(I.sub(hi, jc), convNc));
          forRange(f, pc, 0, K, shape.kc, () => {
            assign(f, kcb, I.min(I.sub(K, pc), shape.kc));
            for (const v of [params!, xg, pc, kcb, jc, ncb, bufB]) f.get(v);
            f.i32(0).call(walks.pack);
            forRange(f, ic, 0, ocg, shape.mc, () => {
              emit(f, I.add(aBlock(g, pc), I.shl(I.mul(ic, kcb), 2)));
              f.get(bufB);
              emit(f, I.min(I.sub(ocg, ic), shape.mc));
              for (const v of [ncb, kcb]) f.get(v);
              emit(f, I.at4(yg, I.add(I.mul(ic, HW), jc)));
              emit(f, I.shl(HW, 2));
              emit(f, I.gt(pc, 0));
              f.get(tile);
              f.call(gemm.macro);
            });
          });
        });
      });
    });
  });

  // x = input, w = dY, y = dW (accumulated into: the runtime zeroes it first)
  const convBackwardWeight = mod.func('convBackwardWeight', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, CONV_FIELDS);
    const x = P('x'), dy = P('w'), dw = P('y'), inC = P('inC'), outC = P('outC'), groups = P('groups');
    const khw = f.local('i32'), icg = f.local('i32'), ocg = f.local('i32'), K = f.local('i32'), HW = f.local('i32');
    const plane = f.local('i32');
    assign(f, khw, I.mul(P('kH'), P('kW')));
    assign(f, icg, I.div(inC, groups));
    assign(f, ocg, I.div(outC, groups));
    assign(f, K, I.mul(icg, khw));
    assign(f, HW, I.mul(P('outH'), P('outW')));
    assign(f, plane, I.mul(P('inH'), P('inW')));
    const bufA = P('bufA'), bufB = P('bufB'), tile = P('tile'), lo = P('lo'), hi = P('hi'), b0 = P('b0'), b1 = P('b1');
    const g = f.local('i32'), jc = f.local('i32'), ncb = f.local('i32'), b = f.local('i32'), pc = f.local('i32');
    const kcb = f.local('i32'), ic = f.local('i32'), mcb = f.local('i32'), xg = f.local('i32'), dyg = f.local('i32');
    forRange(f, g, 0, groups, 1, () => {
      forRange(f, jc, lo, hi, shape.nc, () => {
        assign(f, ncb, I.min(I.sub(hi, jc), shape.nc));
        forRange(f, b, b0, b1, 1, () => {
          assign(f, xg, I.at4(x, I.mul(I.add(I.mul(b, inC), I.mul(g, icg)), plane)));
          assign(f, dyg, I.at4(dy, I.mul(I.add(I.mul(b, outC), I.mul(g, ocg)), HW)));
          forRange(f, pc, 0, HW, shape.kc, () => {
            assign(f, kcb, I.min(I.sub(HW, pc), shape.kc));
            for (const v of [params!, xg, jc, ncb, pc, kcb, bufB]) f.get(v);
            f.i32(0).call(walks.packT);
            forRange(f, ic, 0, ocg, shape.mc, () => {
              assign(f, mcb, I.min(I.sub(ocg, ic), shape.mc));
              emit(f, I.at4(dyg, I.add(I.mul(ic, HW), pc)));
              emit(f, I.shl(HW, 2)); f.i32(4);
              for (const v of [mcb, kcb, bufA]) f.get(v);
              f.call(gemm.packA);
              for (const v of [bufA, bufB, mcb, ncb, kcb]) f.get(v);
              emit(f, I.at4(dw, I.add(I.mul(I.add(I.mul(g, ocg), ic), K), jc)));
              emit(f, I.shl(K, 2));
              f.i32(1);
              f.get(tile);
              f.call(gemm.macro);
            });
          });
        });
      });
    });
  });

  // x = dY, w = weights, y = dX; lo/hi = input channels (within each group) this thread owns
  const convBackwardInputCol2im = mod.func('convBackwardInputCol2im', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, CONV_FIELDS);
    const dy = P('x'), w = P('w'), dx = P('y'), inC = P('inC'), outC = P('outC'), groups = P('groups');
    const khw = f.local('i32'), icg = f.local('i32'), ocg = f.local('i32'), K = f.local('i32'), HW = f.local('i32');
    const plane = f.local('i32'), rows = f.local('i32');
    assign(f, khw, I.mul(P('kH'), P('kW')));
    assign(f, icg, I.div(inC, groups));
    assign(f, ocg, I.div(outC, groups));
    assign(f, K, I.mul(icg, khw));
    assign(f, HW, I.mul(P('outH'), P('outW')));
    assign(f, plane, I.mul(P('inH'), P('inW')));
    const bufA = P('bufA'), bufB = P('bufB'), bufC = P('bufC'), tile = P('tile'), lo = P('lo'), hi = P('hi');
    const nb = P('nb');
    assign(f, rows, I.mul(I.sub(hi, lo), khw));
    const b = f.local('i32'), g = f.local('i32'), pb = f.local('i32'), nbb = f.local('i32');
    const dxg = f.local('i32'), dyg = f.local('i32');
    const b0 = P('b0'), b1 = P('b1'), dyn = P('dyn'), u = f.local('i32');
    forUnits(f, u, I.sub(b1, b0), dyn, () => {
      assign(f, b, I.add(b0, u));
      forRange(f, g, 0, groups, 1, () => {
        assign(f, dxg, I.at4(dx, I.mul(I.add(I.add(I.mul(b, inC), I.mul(g, icg)), lo), plane)));
        assign(f, dyg, I.at4(dy, I.mul(I.add(I.mul(b, outC), I.mul(g, ocg)), HW)));
        f.get(dxg);
        emit(f, I.mul(I.sub(hi, lo), plane));
        f.call(util.zero);
        forRange(f, pb, 0, HW, nb, () => {
          assign(f, nbb, I.min(I.sub(HW, pb), nb));
          // dCols[rows × nbb] = Wᵀ[rows × ocg] · dY[ocg × nbb]; Wᵀ(i, p) = w[(g·ocg + p)·K + lo·khw + i]
          emit(f, I.at4(w, I.add(I.mul(I.mul(g, ocg), K), I.mul(lo, khw))));
          f.i32(4);
          emit(f, I.shl(K, 2));
          emit(f, I.at4(dyg, pb));
          emit(f, I.shl(HW, 2));
          f.i32(4);
          f.get(bufC);
          emit(f, I.shl(nbb, 2));
          for (const v of [rows, nbb, ocg]) f.get(v);
          f.i32(0);
          for (const v of [bufA, bufB, tile]) f.get(v);
          f.call(gemm.gemmCore);
          for (const v of [params!, dxg]) f.get(v);
          f.i32(0);
          for (const v of [rows, pb, nbb, bufC, nbb]) f.get(v);
          f.call(walks.col2im);
        });
      });
    });
  });

  return { convForward, convBackwardWeight, convBackwardInputCol2im };
}

/**
 * The patch walk over rows [k0, k0 + kCount) of the patch matrix and pixels [p0, p0 + pCount):
 * - pack:   write B micro-panels over pixels (depth = rows): dst + (t / NR)·kCount·NR + r·NR + t % NR
 * - packT:  write B micro-panels over rows (depth = pixels): dst + (r / NR)·pCount·NR + t·NR + r % NR
 * - col2im: add dst[r·ldc + t] into the input position of (r, t)
 * Arguments: (params, xg, k0, kCount, p0, pCount, dst, ldc); xg is the group's first input channel.
 */
function emitPatchWalk(f: FunctionBuilder, vec: Vec, NR: number, mode: WalkMode, args: Local[]): void {
  const [params, xg, k0, kCount, p0, pCount, dst, ldc] = args as [Local, Local, Local, Local, Local, Local, Local, Local];
  const P = fieldReader(f, params, CONV_FIELDS);
  const inH = P('inH'), inW = P('inW'), kH = P('kH'), kW = P('kW'), outW = P('outW');
  const sH = P('sH'), sW = P('sW'), pT = P('pT'), pL = P('pL'), dH = P('dH'), dW = P('dW');
  const L = () => f.local('i32');
  const khw = L(), planeBytes = L(), c = L(), kh = L(), kw = L(), oh0 = L(), ow0 = L(), panelBytes = L();
  const r = L(), offH = L(), offW = L(), owLo = L(), owHi = L(), chan = L(), rowBase = L();
  const t = L(), oh = L(), ow = L(), d = L(), segEnd = L(), ih = L(), s = L(), z1 = L(), c1 = L(), srcStep = L();
  const lanes = vec.lanes;

  assign(f, khw, I.mul(kH, kW));
  assign(f, planeBytes, I.shl(I.mul(inH, inW), 2));
  assign(f, c, I.div(k0, khw));
  assign(f, kh, I.sub(k0, I.mul(c, khw)));
  assign(f, kw, I.sub(kh, I.mul(I.div(kh, kW), kW)));
  assign(f, kh, I.div(kh, kW));
  assign(f, oh0, I.div(p0, outW));
  assign(f, ow0, I.sub(p0, I.mul(oh0, outW)));
  assign(f, panelBytes, I.shl(I.mul(mode === 'packT' ? pCount : kCount, NR), 2));
  assign(f, srcStep, I.shl(sW, 2));

  /** advance t by n pixels and d to the matching destination */
  const step = (n: number) => {
    addTo(f, t, n);
    if (mode === 'pack') {
      addTo(f, d, n * 4);
      when(f, I.eq(I.and(t, NR - 1), 0), () => addTo(f, d, I.sub(panelBytes, NR * 4)));
    } else if (mode === 'packT') addTo(f, d, n * NR * 4);
    else addTo(f, d, n * 4);
  };
  /** a loop while t < tEnd (re-evaluated) doing body then step(n) */
  const run = (tEnd: Ex, n: number, body: () => void, guard?: Ex) => {
    f.block((exit) => {
      f.loop((top) => {
        emit(f, I.ge(I.add(t, n - 1), tEnd));
        f.brIf(exit);
        if (guard !== undefined) { emit(f, guard); f.brIf(exit); }
        body();
        step(n);
        f.br(top);
      });
    });
  };
  const zeroRun = (tEnd: Ex) => {
    if (mode === 'col2im') {
      addTo(f, d, I.shl(I.sub(tEnd, t), 2));
      assign(f, t, tEnd);
      return;
    }
    if (mode === 'pack' && lanes > 1) {
      run(tEnd, 1, () => { f.get(d).f32(0).mem('f32.store'); }, I.eq(I.and(t, 3), 0));
      run(tEnd, 4, () => { f.get(d).f32x4Const(0).mem('v128.store'); });
    }
    run(tEnd, 1, () => { f.get(d).f32(0).mem('f32.store'); });
  };
  const copyRun = (tEnd: Ex) => {
    const scalar = () => run(tEnd, 1, () => {
      if (mode === 'col2im') f.get(s).get(s).mem('f32.load').get(d).mem('f32.load').op('f32.add').mem('f32.store');
      else f.get(d).get(s).mem('f32.load').mem('f32.store');
      addTo(f, s, srcStep);
    });
    if (mode === 'pack' && lanes > 1) {
      when(f, I.eq(sW, 1), () => {
        run(tEnd, 1, () => { f.get(d).get(s).mem('f32.load').mem('f32.store'); addTo(f, s, 4); }, I.eq(I.and(t, 3), 0));
        run(tEnd, 4, () => { f.get(d).get(s).mem('v128.load').mem('v128.store'); addTo(f, s, 16); });
      });
      // stride 2 (the downsampling layers): the even lanes of two loads; the second load's last
      // lane is one column past the 4th pixel's, so a vector runs only while a 5th pixel follows
      // (whose own column bounds the read inside the input)
      when(f, I.eq(sW, 2), () => {
        run(tEnd, 1, () => { f.get(d).get(s).mem('f32.load').mem('f32.store'); addTo(f, s, 8); }, I.eq(I.and(t, 3), 0));
        run(I.sub(tEnd, 1), 4, () => {
          f.get(d).get(s).mem('v128.load').get(s).mem('v128.load', 16).f32x4Shuffle([0, 2, 4, 6]).mem('v128.store');
          addTo(f, s, 32);
        });
      });
    }
    scalar();
  };

  forRange(f, r, 0, kCount, 1, () => {
    assign(f, offH, I.sub(I.mul(kh, dH), pT));
    assign(f, offW, I.sub(I.mul(kw, dW), pL));
    // output columns whose input column ow·sW + offW lies in [0, inW)
    assign(f, owLo, I.select(I.ge(offW, 0), 0, I.div(I.sub(I.sub(sW, 1), offW), sW)));
    assign(f, owHi, I.select(I.le(I.sub(inW, offW), 0), 0, I.div(I.add(I.sub(inW, offW), I.sub(sW, 1)), sW)));
    assign(f, chan, I.add(xg, I.mul(c, planeBytes)));
    if (mode === 'pack') assign(f, rowBase, I.add(dst, I.mul(r, NR * 4)));
    else if (mode === 'packT') {
      assign(f, rowBase, I.add(I.add(dst, I.mul(I.shr(r, Math.log2(NR)), panelBytes)), I.shl(I.and(r, NR - 1), 2)));
    } else assign(f, rowBase, I.add(dst, I.shl(I.mul(r, ldc), 2)));
    assign(f, t, 0);
    assign(f, oh, oh0);
    assign(f, ow, ow0);
    assign(f, d, rowBase);
    f.block((exit) => {
      f.loop((top) => {
        emit(f, I.ge(t, pCount));
        f.brIf(exit);
        // this output row's pixels: t .. segEnd, with ow = ow at t
        assign(f, segEnd, I.add(t, I.min(I.sub(outW, ow), I.sub(pCount, t))));
        assign(f, ih, I.add(I.mul(oh, sH), offH));
        when(f, I.ltU(ih, inH), () => {
          assign(f, z1, I.add(t, I.min(I.max(I.sub(owLo, ow), 0), I.sub(segEnd, t))));
          assign(f, c1, I.max(z1, I.add(t, I.min(I.max(I.sub(owHi, ow), 0), I.sub(segEnd, t)))));
          // source of the first copied pixel: input column (ow + z1 - t)·sW + offW
          assign(f, s, I.add(chan, I.shl(I.add(I.mul(ih, inW), I.add(I.mul(I.add(ow, I.sub(z1, t)), sW), offW)), 2)));
          zeroRun(z1);
          copyRun(c1);
          zeroRun(segEnd);
        }, () => zeroRun(segEnd));
        assign(f, ow, 0);
        addTo(f, oh, 1);
        f.br(top);
      });
    });
    if (mode === 'pack') {
      // lanes of the last micro-panel beyond pCount
      run(I.add(t, NR), 1, () => { f.get(d).f32(0).mem('f32.store'); }, I.eq(I.and(t, NR - 1), 0));
    }
    addTo(f, kw, 1);
    when(f, I.eq(kw, kW), () => {
      assign(f, kw, 0);
      addTo(f, kh, 1);
      when(f, I.eq(kh, kH), () => { assign(f, kh, 0); addTo(f, c, 1); });
    });
  });

  if (mode === 'packT') {
    // rows of the last micro-panel beyond kCount
    const rEnd = L();
    assign(f, rEnd, I.and(I.add(kCount, NR - 1), -NR));
    forRange(f, r, kCount, rEnd, 1, () => {
      assign(f, d, I.add(I.add(dst, I.mul(I.shr(r, Math.log2(NR)), panelBytes)), I.shl(I.and(r, NR - 1), 2)));
      forRange(f, t, 0, pCount, 1, () => { f.get(d).f32(0).mem('f32.store'); addTo(f, d, NR * 4); });
    });
  }
}
