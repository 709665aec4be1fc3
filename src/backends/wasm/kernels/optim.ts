/**
 * In-place SGD and Adam updates on float32 parameters, computed per element in float64 with the
 * reference backend's formulas in its order (src/backends/cpu/optim.ts), so the results are the
 * same bits. Buffers are re-read after they are stored where the reference reads them back (its
 * state is rounded to float32 when stored).
 */
import type { Local, ModuleBuilder } from '../assembler.js';
import { ADAM_FIELDS, SGD_FIELDS } from '../layout.js';
import { I, addTo, assign, forRange, when, fieldReader } from '../emit.js';

export const SGD_DRIVER = 'sgdStep';
export const ADAM_DRIVER = 'adamStep';

/** the word pair of a float64 parameter, for a parameter block of i32 words */
export function f64Words(v: number): [number, number] {
  const words = new Int32Array(new Float64Array([v]).buffer);
  return [words[0]!, words[1]!];
}

export function emitOptim(mod: ModuleBuilder): void {
  mod.func(SGD_DRIVER, ['i32'], [], (f, params) => {
    const p = params!;
    const P = fieldReader(f, p, SGD_FIELDS), D = fieldReader(f, p, SGD_FIELDS, 'f64');
    const param = P('param'), grad = P('grad'), buf = P('buf'), lo = P('lo'), hi = P('hi');
    const nesterov = P('nesterov'), firstStep = P('firstStep');
    const lr = D('lr'), momentum = D('momentum'), oneMinusDampening = D('oneMinusDampening'), weightDecay = D('weightDecay');
    const i = f.local('i32'), pa = f.local('i32'), ga = f.local('i32'), ba = f.local('i32');
    const w = f.local('f64'), g = f.local('f64'), b = f.local('f64');
    const at = (base: Local) => I.at4(base, lo);
    assign(f, pa, at(param)); assign(f, ga, at(grad)); assign(f, ba, at(buf));
    const loadF64 = (addr: Local) => { f.get(addr).mem('f32.load').op('f64.promote_f32'); };
    // g = grad + weightDecay·w
    const gradient = () => { loadF64(ga); f.get(weightDecay).get(w).op('f64.mul').op('f64.add').set(g); };
    when(f, I.eq(buf, 0), () => {
      forRange(f, i, lo, hi, 1, () => {
        loadF64(pa); f.set(w);
        gradient();
        f.get(pa).get(w).get(lr).get(g).op('f64.mul').op('f64.sub').op('f32.demote_f64').mem('f32.store');
        addTo(f, pa, 4); addTo(f, ga, 4);
      });
    }, () => {
      forRange(f, i, lo, hi, 1, () => {
        loadF64(pa); f.set(w);
        gradient();
        // b = first ? g : momentum·buf + (1 − dampening)·g
        when(f, firstStep, () => { f.get(g).set(b); }, () => {
          f.get(momentum); loadF64(ba); f.op('f64.mul').get(oneMinusDampening).get(g).op('f64.mul').op('f64.add').set(b);
        });
        f.get(ba).get(b).op('f32.demote_f64').mem('f32.store');
        // param = w − lr·(nesterov ? g + momentum·buf : buf), buf as stored
        when(f, nesterov, () => { f.get(g).get(momentum); loadF64(ba); f.op('f64.mul').op('f64.add').set(b); }, () => { loadF64(ba); f.set(b); });
        f.get(pa).get(w).get(lr).get(b).op('f64.mul').op('f64.sub').op('f32.demote_f64').mem('f32.store');
        addTo(f, pa, 4); addTo(f, ga, 4); addTo(f, ba, 4);
      });
    });
  });

  mod.func(ADAM_DRIVER, ['i32'], [], (f, params) => {
    const p = params!;
    const P = fieldReader(f, p, ADAM_FIELDS), D = fieldReader(f, p, ADAM_FIELDS, 'f64');
    const param = P('param'), grad = P('grad'), m = P('m'), v = P('v'), lo = P('lo'), hi = P('hi');
    const stepSize = D('stepSize'), sqrtCorrection2 = D('sqrtCorrection2'), decay = D('decay'), coupled = D('coupled');
    const beta1 = D('beta1'), oneMinusBeta1 = D('oneMinusBeta1'), beta2 = D('beta2'), oneMinusBeta2 = D('oneMinusBeta2');
    const eps = D('eps');
    const i = f.local('i32'), pa = f.local('i32'), ga = f.local('i32'), ma = f.local('i32'), va = f.local('i32');
    const w = f.local('f64'), g = f.local('f64');
    const at = (base: Local) => I.at4(base, lo);
    assign(f, pa, at(param)); assign(f, ga, at(grad)); assign(f, ma, at(m)); assign(f, va, at(v));
    const loadF64 = (addr: Local) => { f.get(addr).mem('f32.load').op('f64.promote_f32'); };
    forRange(f, i, lo, hi, 1, () => {
      loadF64(pa); f.get(decay).op('f64.mul').set(w);
      loadF64(ga); f.get(coupled).get(w).op('f64.mul').op('f64.add').set(g);
      // m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g·g
      f.get(ma).get(beta1); loadF64(ma); f.op('f64.mul').get(oneMinusBeta1).get(g).op('f64.mul').op('f64.add');
      f.op('f32.demote_f64').mem('f32.store');
      f.get(va).get(beta2); loadF64(va); f.op('f64.mul').get(oneMinusBeta2).get(g).op('f64.mul').get(g).op('f64.mul').op('f64.add');
      f.op('f32.demote_f64').mem('f32.store');
      // param = w − stepSize·m / (√v / √(1 − β2^t) + eps)
      f.get(pa).get(w).get(stepSize); loadF64(ma); f.op('f64.mul');
      loadF64(va); f.op('f64.sqrt').get(sqrtCorrection2).op('f64.div').get(eps).op('f64.add').op('f64.div');
      f.op('f64.sub').op('f32.demote_f64').mem('f32.store');
      addTo(f, pa, 4); addTo(f, ga, 4); addTo(f, ma, 4); addTo(f, va, 4);
    });
  });
}
