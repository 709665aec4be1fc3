/** WGSL expressions that specialise the elementwise and reduction kernels per op. */
import type { BinaryOp, ReduceOp, UnaryOp } from '../../core/backend.js';

/** x ** p that is defined for negative x and integral p (WGSL's pow is not) */
const POW = (x: string, p: string) =>
  `select(pow(abs(${x}), ${p}) * select(1.0, -1.0, ${x} < 0.0 && fract(${p} * 0.5) != 0.0), pow(${x}, ${p}), fract(${p}) != 0.0)`;

export const UNARY_EXPR: Record<UnaryOp, string> = {
  neg: '-x',
  abs: 'abs(x)',
  sign: 'sign(x)',
  exp: 'exp(x)',
  log: 'log(x)',
  // log(1 + x) loses digits for tiny x: a short series there
  log1p: 'select(log(1.0 + x), x * (1.0 - x * (0.5 - x / 3.0)), abs(x) < 1e-3)',
  sqrt: 'sqrt(x)',
  rsqrt: 'inverseSqrt(x)',
  square: 'x * x',
  reciprocal: '1.0 / x',
  sin: 'sin(x)',
  cos: 'cos(x)',
  tanh: 'select(tanh(x), sign(x), abs(x) > 15.0)',
  sigmoid: '1.0 / (1.0 + exp(-x))',
  relu: 'select(0.0, x, x > 0.0 || x != x)',
  gelu: '0.5 * x * (1.0 + erf_(x * 0.7071067811865476))',
  geluGrad: '0.5 * (1.0 + erf_(x * 0.7071067811865476)) + x * exp(-0.5 * x * x) * 0.3989422804014327',
  softplus: 'select(log(1.0 + exp(x)), x, x > 20.0)',
  floor: 'floor(x)',
  isfinite: 'select(0.0, 1.0, isFinite_(x))',
  leakyRelu: 'select(p0 * x, x, x > 0.0)',
  clamp: 'min(max(x, p0), p1)',
  powScalar: POW('x', 'p0'),
  affine: 'p0 * x + p1',
  inRange: 'select(0.0, 1.0, x >= p0 && x <= p1)',
};

export const BINARY_EXPR: Record<BinaryOp, (t: 'f32' | 'i32') => string> = {
  add: () => 'a + b',
  sub: () => 'a - b',
  mul: () => 'a * b',
  div: () => 'a / b',
  pow: (t) => (t === 'f32' ? POW('a', 'b') : 'i32(pow(f32(a), f32(b)))'),
  maximum: (t) => (t === 'f32' ? 'select(max(a, b), a + b, a != a || b != b)' : 'max(a, b)'),
  minimum: (t) => (t === 'f32' ? 'select(min(a, b), a + b, a != a || b != b)' : 'min(a, b)'),
  eq: (t) => `select(${t}(0), ${t}(1), a == b)`,
  ne: (t) => `select(${t}(0), ${t}(1), a != b)`,
  lt: (t) => `select(${t}(0), ${t}(1), a < b)`,
  le: (t) => `select(${t}(0), ${t}(1), a <= b)`,
  gt: (t) => `select(${t}(0), ${t}(1), a > b)`,
  ge: (t) => `select(${t}(0), ${t}(1), a >= b)`,
};

/** INIT / CMP / ACCUMULATE / COMBINE / RESULT for reduce.wgsl */
export function reduceSpecialisation(op: ReduceOp, t: 'f32' | 'i32'): Record<string, string> {
  if (op === 'sum' || op === 'prod') {
    const sym = op === 'sum' ? '+' : '*';
    return {
      INIT: `${t}(${op === 'sum' ? 0 : 1})`, CMP: 'false',
      ACCUMULATE: `acc = acc ${sym} v;`, COMBINE: `vals[lid] = a ${sym} b;`, RESULT: 'vals[0]',
    };
  }
  const isMax = op === 'max' || op === 'argmax';
  return {
    INIT: `${t}(0)`, CMP: isMax ? 'a > b' : 'a < b',
    ACCUMULATE: 'if (better(v, r, acc, accI)) { acc = v; accI = r; }',
    COMBINE: 'if (better(b, bi, a, ai)) { vals[lid] = b; idxs[lid] = bi; }',
    RESULT: op === 'argmax' || op === 'argmin' ? 'i32(idxs[0])' : 'vals[0]',
  };
}
