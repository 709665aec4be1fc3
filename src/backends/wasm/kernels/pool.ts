/**
 * Max pooling over NCHW planes and its gradient, with the reference backend's rules: each window is
 * clipped to the input (padding is never a candidate), scanned row-major, a cell wins only when
 * strictly greater (ties keep the first maximum) and the first NaN wins and ends the scan. The
 * argmax is the flat index h·inW + w in the plane. Threads split the planes, so the gradient's
 * scatter-add never races.
 */
import type { FunctionBuilder, Local, ModuleBuilder } from '../assembler.js';
import { AVG_POOL_FIELDS, POOL_FIELDS } from '../layout.js';
import { I, addTo, assign, emit, forRange, when, fieldReader } from '../emit.js';
import type { Vec } from './vec.js';

/**
 * One output row of a 2×2, stride-2 max pool, four outputs at a time while four fit: the window's
 * cells in scan order (0,0), (0,1), (1,0), (1,1) come from de-interleaving two vector pairs, and
 * the reference's rule (strictly greater wins, the first NaN wins) runs lane-wise with bit
 * selects. Leaves ox at the first output not done and o (the output index) advanced to match.
 */
function emitMaxPool2x2Row(f: FunctionBuilder, base: Local, y: Local, arg: Local, inW: Local, outW: Local,
  oy: Local, ox: Local, o: Local): void {
  const r0 = f.local('i32'), r1 = f.local('i32'), end = f.local('i32'), cellIdx = f.local('i32');
  const a = f.local('v128'), b = f.local('v128'), c = f.local('v128'), d = f.local('v128');
  const best = f.local('v128'), idx = f.local('v128'), origin = f.local('v128'), cand = f.local('v128'), win = f.local('v128');
  const laneOffsets = new Uint8Array(new Int32Array([0, 2, 4, 6]).buffer);
  assign(f, cellIdx, I.mul(I.mul(oy, 2), inW));
  assign(f, r0, I.at4(base, cellIdx));
  assign(f, r1, I.at4(r0, inW));
  assign(f, end, I.sub(outW, 3));
  forRange(f, ox, ox, end, 4, () => {
    f.get(r0).mem('v128.load').set(a); f.get(r0).mem('v128.load', 16).set(b);
    f.get(r1).mem('v128.load').set(c); f.get(r1).mem('v128.load', 16).set(d);
    // flat index of each window's first cell: 2·oy·inW + 2·ox + 2·lane
    f.get(cellIdx).op('i32x4.splat').v128Const(laneOffsets).op('i32x4.add').set(origin);
    f.get(a).get(b).f32x4Shuffle([0, 2, 4, 6]).set(best);
    f.get(origin).set(idx);
    const cells: Array<[Local, Local, [number, number, number, number], () => void]> = [
      [a, b, [1, 3, 5, 7], () => { f.i32(1); }],
      [c, d, [0, 2, 4, 6], () => { f.get(inW); }],
      [c, d, [1, 3, 5, 7], () => { f.get(inW).i32(1).op('i32.add'); }],
    ];
    for (const [lo, hi, lanes, offset] of cells) {
      f.get(lo).get(hi).f32x4Shuffle(lanes).set(cand);
      // win = cand > best, or cand is NaN while best is not
      f.get(cand).get(best).op('f32x4.gt');
      f.get(cand).get(cand).op('f32x4.ne').get(best).get(best).op('f32x4.eq').op('v128.and');
      f.op('v128.or').set(win);
      f.get(cand).get(best).get(win).op('v128.bitselect').set(best);
      f.get(origin); offset(); f.op('i32x4.splat').op('i32x4.add');
      f.get(idx).get(win).op('v128.bitselect').set(idx);
    }
    f.get(y).get(o).i32(2).op('i32.shl').op('i32.add').get(best).mem('v128.store');
    f.get(arg).get(o).i32(2).op('i32.shl').op('i32.add').get(idx).mem('v128.store');
    addTo(f, o, 4);
    addTo(f, cellIdx, 8);
    addTo(f, r0, 32);
    addTo(f, r1, 32);
  });
}

export function emitPool(mod: ModuleBuilder, vec: Vec): void {
  mod.func('maxPool2d', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, POOL_FIELDS);
    const x = P('x'), y = P('y'), arg = P('arg'), inH = P('inH'), inW = P('inW'), outH = P('outH'), outW = P('outW');
    const kH = P('kH'), kW = P('kW'), sH = P('sH'), sW = P('sW'), pT = P('pT'), pL = P('pL');
    const L = () => f.local('i32');
    const pl = L(), base = L(), oy = L(), ox = L(), hs = L(), h0 = L(), h1 = L(), ws = L(), w0 = L(), w1 = L();
    const h = L(), w = L(), at = L(), row = L(), o = L(), win = L(), cellAddr = L(), origin = L();
    const best = f.local('f32'), v = f.local('f32');
    const pl0 = P('pl0');
    // output element index of the first plane of this thread
    assign(f, o, I.mul(pl0, I.mul(outH, outW)));
    forRange(f, pl, pl0, P('pl1'), 1, () => {
      assign(f, base, I.at4(x, I.mul(pl, I.mul(inH, inW))));
      forRange(f, oy, 0, outH, 1, () => {
        assign(f, hs, I.sub(I.mul(oy, sH), pT));
        assign(f, h0, I.max(hs, 0));
        assign(f, h1, I.min(I.add(hs, kH), inH));
        assign(f, ox, 0);
        if (vec.simd) {
          // 2×2 windows, stride 2, no padding (the common case): four outputs per step
          const fast = I.and(I.and(I.and(I.eq(kH, 2), I.eq(kW, 2)), I.and(I.eq(sH, 2), I.eq(sW, 2))), I.eq(I.or(pT, pL), 0));
          when(f, fast, () => emitMaxPool2x2Row(f, base, y, arg, inW, outW, oy, ox, o));
        }
        forRange(f, ox, ox, outW, 1, () => {
          assign(f, ws, I.sub(I.mul(ox, sW), pL));
          assign(f, w0, I.max(ws, 0));
          assign(f, w1, I.min(I.add(ws, kW), inW));
          const generic = () => {
            assign(f, at, I.add(I.mul(h0, inW), w0));
            f.get(base).get(at).i32(2).op('i32.shl').op('i32.add').mem('f32.load').set(best);
            // maxima of real data are unpredictable, so no branches: a cell wins when strictly
            // greater, or when it is the first NaN (once best is NaN nothing compares greater)
            forRange(f, h, h0, h1, 1, () => {
              assign(f, row, I.mul(h, inW));
              forRange(f, w, I.select(I.eq(h, h0), I.add(w0, 1), w0), w1, 1, () => {
                f.get(base).get(row).get(w).op('i32.add').i32(2).op('i32.shl').op('i32.add').set(cellAddr);
                f.get(cellAddr).mem('f32.load').set(v);
                f.get(v).get(best).op('f32.gt');
                f.get(v).get(v).op('f32.ne').get(best).get(best).op('f32.eq').op('i32.and');
                f.op('i32.or').set(win);
                f.get(v).get(best).get(win).op('select').set(best);
                emit(f, I.select(win, I.add(row, w), at));
                f.set(at);
              });
            });
          };
          // 2×2 and 3×3 windows inside the input: unrolled, the cells at constant offsets
          const unrolled = (k: number) => {
            const inside = I.and(I.and(I.ge(hs, 0), I.le(I.add(hs, k), inH)), I.and(I.ge(ws, 0), I.le(I.add(ws, k), inW)));
            when(f, I.and(I.and(I.eq(kH, k), I.eq(kW, k)), inside), () => {
              assign(f, origin, I.add(I.mul(hs, inW), ws));
              assign(f, at, origin);
              // base advanced to the window's first cell for this output only
              assign(f, cellAddr, base);
              assign(f, base, I.at4(base, origin));
              f.get(base).mem('f32.load').set(best);
              for (let dh = 0; dh < k; dh++) {
                for (let dw = 0; dw < k; dw++) {
                  if (dh === 0 && dw === 0) continue;
                  // element offsets dh·inW + dw are dynamic in inW: fold dh into a row pointer
                  if (dw === 0) { assign(f, row, I.at4(base, I.mul(inW, dh))); }
                  const rowPtr = dh === 0 ? base : row;
                  f.get(rowPtr).mem('f32.load', dw * 4).set(v);
                  f.get(v).get(best).op('f32.gt');
                  f.get(v).get(v).op('f32.ne').get(best).get(best).op('f32.eq').op('i32.and');
                  f.op('i32.or').set(win);
                  f.get(v).get(best).get(win).op('select').set(best);
                  emit(f, I.select(win, I.add(origin, I.add(I.mul(inW, dh), dw)), at));
                  f.set(at);
                }
              }
              assign(f, base, cellAddr);
            }, k === 3 ? generic : () => unrolled(3));
          };
          unrolled(2);
          f.get(y).get(o).i32(2).op('i32.shl').op('i32.add').get(best).mem('f32.store');
          f.get(arg).get(o).i32(2).op('i32.shl').op('i32.add').get(at).mem('i32.store');
          addTo(f, o, 1);
        });
      });
    });
  });

  // y = dx (zeroed here), x = dy, arg = argmax: dx[plane][arg[o]] += dy[o]
  mod.func('maxPool2dBackward', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, POOL_FIELDS);
    const dy = P('x'), dx = P('y'), arg = P('arg');
    const plane = f.local('i32'), outPlane = f.local('i32'), pl = f.local('i32'), i = f.local('i32');
    const dst = f.local('i32'), src = f.local('i32'), a = f.local('i32'), cell = f.local('i32');
    const pl0 = P('pl0'), pl1 = P('pl1');
    assign(f, plane, I.mul(P('inH'), P('inW')));
    assign(f, outPlane, I.mul(P('outH'), P('outW')));
    f.get(dx).get(pl0).get(plane).op('i32.mul').i32(2).op('i32.shl').op('i32.add');
    f.i32(0);
    f.get(pl1).get(pl0).op('i32.sub').get(plane).op('i32.mul').i32(2).op('i32.shl');
    f.memoryFill();
    assign(f, src, I.at4(dy, I.mul(pl0, outPlane)));
    assign(f, a, I.at4(arg, I.mul(pl0, outPlane)));
    forRange(f, pl, pl0, pl1, 1, () => {
      assign(f, dst, I.at4(dx, I.mul(pl, plane)));
      forRange(f, i, 0, outPlane, 1, () => {
        // address of dx[plane][argmax]
        f.get(dst).get(a).mem('i32.load').i32(2).op('i32.shl').op('i32.add').set(cell);
        f.get(cell).get(cell).mem('f32.load').get(src).mem('f32.load').op('f32.add').mem('f32.store');
        addTo(f, src, 4);
        addTo(f, a, 4);
      });
    });
  });
}

/**
 * Average pooling and its gradient, in float64 as the reference backend (window sums, then times
 * 1/divisor from the `inv` table; the gradient sums every window's share per input cell in output
 * order in a float64 plane and rounds once), so the bits agree. Threads split the planes.
 */
export function emitAvgPool(mod: ModuleBuilder): void {
  /** for every output of planes [pl0, pl1): window rows [h0, h1), columns [w0, w1); o counts outputs */
  const windows = (f: FunctionBuilder, P: (name: keyof typeof AVG_POOL_FIELDS) => Local,
    perPlane: (pl: Local) => void, perOutput: (o: Local, pos: Local, h0: Local, h1: Local, w0: Local, w1: Local) => void,
    afterPlane: (pl: Local) => void) => {
    const inH = P('inH'), inW = P('inW'), outH = P('outH'), outW = P('outW'), kH = P('kH'), kW = P('kW');
    const sH = P('sH'), sW = P('sW'), pT = P('pT'), pL = P('pL'), pl0 = P('pl0'), pl1 = P('pl1');
    const L = () => f.local('i32');
    const pl = L(), oy = L(), ox = L(), hs = L(), ws = L(), h0 = L(), h1 = L(), w0 = L(), w1 = L(), o = L(), pos = L();
    assign(f, o, I.mul(pl0, I.mul(outH, outW)));
    forRange(f, pl, pl0, pl1, 1, () => {
      perPlane(pl);
      assign(f, pos, 0);
      forRange(f, oy, 0, outH, 1, () => {
        assign(f, hs, I.sub(I.mul(oy, sH), pT));
        assign(f, h0, I.max(hs, 0));
        assign(f, h1, I.min(I.add(hs, kH), inH));
        forRange(f, ox, 0, outW, 1, () => {
          assign(f, ws, I.sub(I.mul(ox, sW), pL));
          assign(f, w0, I.max(ws, 0));
          assign(f, w1, I.min(I.add(ws, kW), inW));
          perOutput(o, pos, h0, h1, w0, w1);
          addTo(f, o, 1);
          addTo(f, pos, 1);
        });
      });
      afterPlane(pl);
    });
  };

  mod.func('avgPool2d', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, AVG_POOL_FIELDS);
    const x = P('x'), y = P('y'), inv = P('inv'), inH = P('inH'), inW = P('inW');
    const base = f.local('i32'), h = f.local('i32'), w = f.local('i32'), row = f.local('i32'), s = f.local('f64');
    windows(f, P, (pl) => { assign(f, base, I.at4(x, I.mul(pl, I.mul(inH, inW)))); }, (o, pos, h0, h1, w0, w1) => {
      f.f32(0).op('f64.promote_f32').set(s);
      forRange(f, h, h0, h1, 1, () => {
        assign(f, row, I.at4(base, I.mul(h, inW)));
        forRange(f, w, w0, w1, 1, () => {
          f.get(s).get(row).get(w).i32(2).op('i32.shl').op('i32.add').mem('f32.load').op('f64.promote_f32').op('f64.add').set(s);
        });
      });
      f.get(y).get(o).i32(2).op('i32.shl').op('i32.add');
      f.get(s).get(inv).get(pos).i32(3).op('i32.shl').op('i32.add').mem('f64.load').op('f64.mul').op('f32.demote_f64');
      f.mem('f32.store');
    }, () => {});
  });

  // x = dy, y = dx
  mod.func('avgPool2dBackward', ['i32'], [], (f, params) => {
    const P = fieldReader(f, params!, AVG_POOL_FIELDS);
    const dy = P('x'), dx = P('y'), inv = P('inv'), acc = P('acc'), inH = P('inH'), inW = P('inW');
    const plane = f.local('i32'), i = f.local('i32'), h = f.local('i32'), w = f.local('i32'), row = f.local('i32');
    const g = f.local('f64'), cell = f.local('i32');
    assign(f, plane, I.mul(inH, inW));
    windows(f, P, () => {
      forRange(f, i, 0, plane, 1, () => { f.get(acc).get(i).i32(3).op('i32.shl').op('i32.add').f32(0).op('f64.promote_f32').mem('f64.store'); });
    }, (o, pos, h0, h1, w0, w1) => {
      f.get(dy).get(o).i32(2).op('i32.shl').op('i32.add').mem('f32.load').op('f64.promote_f32');
      f.get(inv).get(pos).i32(3).op('i32.shl').op('i32.add').mem('f64.load').op('f64.mul').set(g);
      forRange(f, h, h0, h1, 1, () => {
        assign(f, row, I.mul(h, inW));
        forRange(f, w, w0, w1, 1, () => {
          assign(f, cell, I.add(acc, I.shl(I.add(row, w), 3)));
          f.get(cell).get(cell).mem('f64.load').get(g).op('f64.add').mem('f64.store');
        });
      });
    }, (pl) => {
      assign(f, row, I.at4(dx, I.mul(pl, plane)));
      forRange(f, i, 0, plane, 1, () => {
        f.get(row).get(i).i32(2).op('i32.shl').op('i32.add');
        f.get(acc).get(i).i32(3).op('i32.shl').op('i32.add').mem('f64.load').op('f32.demote_f64');
        f.mem('f32.store');
      });
    });
  });
}
