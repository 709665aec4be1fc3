/**
 * Convolution pieces TF.js does not offer everywhere, written with tfjs-core ops:
 * - the weight gradient through shifted inputs × dy (im2col without the big patch matrix), for
 *   tfjs-wasm, which has no Conv2DBackpropFilter kernel;
 * - conv2d with PyTorch's symmetric padding (explicit padding: 'same' pads bottom/right only
 *   for stride 2), and a custom gradient that uses the im2col weight gradient where needed.
 * Everything is NHWC with HWIO filters.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { Tf } from './tfjs.js';

export type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

export function explicitPad(p: number): Pad4 {
  return [[0, 0], [p, p], [p, p], [0, 0]];
}

/**
 * dL/dW [kh, kw, inC, outC] from x [n, h, w, inC] and dy [n, oh, ow, outC], im2col-style: for each
 * kernel offset, the shifted input as [inC, n·oh·ow] times dy as [n·oh·ow, outC]. One matmul per
 * offset rather than one over the stacked patch matrix: tfjs-wasm's matmul with transposeA, and
 * its stack of the patches, are each several times slower than these plain products.
 */
export function weightGradIm2col(tf: Tf, x: TF.Tensor4D, dy: TF.Tensor4D, kh: number, kw: number, stride: number, pad: number): TF.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const [, oh, ow, o] = dy.shape;
    const xp = pad > 0 ? tf.pad(x, explicitPad(pad)) : x;
    const xt = tf.transpose(xp, [3, 0, 1, 2]); // [c, n, h + 2p, w + 2p]
    const dy2 = tf.reshape(dy, [n * oh * ow, o]) as TF.Tensor2D;
    const parts: TF.Tensor2D[] = [];
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const shifted = tf.stridedSlice(xt, [0, 0, ky, kx], [c, n, ky + (oh - 1) * stride + 1, kx + (ow - 1) * stride + 1], [1, 1, stride, stride]);
        parts.push(tf.matMul(tf.reshape(shifted, [c, n * oh * ow]) as TF.Tensor2D, dy2));
      }
    }
    return tf.reshape(parts.length === 1 ? parts[0]! : tf.stack(parts), [kh, kw, c, o]) as TF.Tensor4D;
  });
}

/** dL/dx through the backend's Conv2DBackpropInput kernel */
export function inputGrad(tf: Tf, dy: TF.Tensor4D, filter: TF.Tensor4D, inputShape: [number, number, number, number], stride: number, pad: number): TF.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
    strides: [stride, stride], pad: explicitPad(pad), dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape,
  } as unknown as TF.NamedAttrMap) as TF.Tensor4D;
}

/** dL/dW through the backend's Conv2DBackpropFilter kernel */
export function filterGrad(tf: Tf, x: TF.Tensor4D, dy: TF.Tensor4D, filterShape: [number, number, number, number], stride: number, pad: number): TF.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: [stride, stride], pad: explicitPad(pad), dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape,
  } as unknown as TF.NamedAttrMap) as TF.Tensor4D;
}

export type Conv2dFn = (x: TF.Tensor4D, filter: TF.Tensor4D, stride: number, pad: number) => TF.Tensor4D;

/**
 * conv2d as the models use it. With `im2col`, the gradient is a custom one (input gradient from
 * Conv2DBackpropInput, weight gradient from im2col + matmul); otherwise TF.js's own.
 */
export function makeConv2d(tf: Tf, im2col: boolean): Conv2dFn {
  if (!im2col) return (x, f, stride, pad) => tf.conv2d(x, f, stride, explicitPad(pad));
  const cache = new Map<string, (x: TF.Tensor4D, f: TF.Tensor4D) => TF.Tensor4D>();
  return (x, f, stride, pad) => {
    const key = `${stride}/${pad}`;
    let fn = cache.get(key);
    if (!fn) {
      const custom = tf.customGrad(((xi: TF.Tensor4D, fi: TF.Tensor4D, save: TF.GradSaveFunc) => {
        save([xi, fi]);
        return {
          value: tf.conv2d(xi, fi, stride, explicitPad(pad)),
          gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
            const [xs, fs] = saved as [TF.Tensor4D, TF.Tensor4D];
            return [
              inputGrad(tf, dy, fs, xs.shape, stride, pad),
              weightGradIm2col(tf, xs, dy, fs.shape[0], fs.shape[1], stride, pad),
            ];
          },
        };
      }) as unknown as Parameters<Tf['customGrad']>[0]);
      fn = (a, b) => custom(a, b) as TF.Tensor4D;
      cache.set(key, fn);
    }
    return fn(x, f);
  };
}
