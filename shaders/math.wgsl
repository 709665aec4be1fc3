// Float helpers with IEEE edge cases spelled out. WGSL leaves NaN and out-of-domain results of
// the builtins implementation-defined (and const-expressions may not produce NaN or infinity), so
// NaN and infinity come from run-time bit patterns and NaN tests look at the bits.

var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;

fn nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf() -> f32 { return bitcast<f32>(INF_BITS); }

fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isFiniteF(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }

// float → int32 as a typed-array store does for in-range values (truncate toward zero);
// NaN and ±infinity give 0, out-of-range values saturate
fn f32ToI32(x: f32) -> i32 {
  if (!isFiniteF(x)) { return 0; }
  return i32(clamp(x, -2147483648.0, 2147483520.0));
}

// NaN-propagating max/min (torch.maximum/minimum, max/min reductions)
fn maxNan(a: f32, b: f32) -> f32 { return select(max(a, b), nan(), isNan(a) || isNan(b)); }
fn minNan(a: f32, b: f32) -> f32 { return select(min(a, b), nan(), isNan(a) || isNan(b)); }

// |x|^e by repeated squaring for a small non-negative integer e: exact to a few ulps, unlike
// exp2(e·log2(x)) (3² must be 9, not 8.999999, before an int32 cast truncates it)
fn powSmallInt(x: f32, e: u32) -> f32 {
  var base = x;
  var n = e;
  var r = 1.0;
  loop {
    if (n == 0u) { break; }
    if ((n & 1u) == 1u) { r = r * base; }
    n = n >> 1u;
    if (n != 0u) { base = base * base; }
  }
  return r;
}

// a^b with C/JavaScript semantics: x^0 = 1, negative bases only with integer exponents (sign from
// the exponent's parity), 0^negative = infinity
fn powF(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (isNan(a) || isNan(b)) { return nan(); }
  let integral = isFiniteF(b) && floor(b) == b;
  let odd = integral && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1;
  if (a == 0.0) {
    if (b < 0.0) { return select(inf(), bitcast<f32>(bitcast<u32>(a) | INF_BITS), odd); }
    return select(0.0, a, odd);
  }
  if (a < 0.0 && !integral) { return nan(); }
  let m = abs(a);
  var r: f32;
  if (integral && abs(b) <= 64.0) {
    r = powSmallInt(m, u32(abs(b)));
    if (b < 0.0) { r = 1.0 / r; }
  } else {
    r = exp2(b * log2(m));
  }
  return select(r, -r, a < 0.0 && odd);
}

// int32 power with wrapping multiplication; negative exponents truncate 1/a^|b| toward zero
fn powI(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { return select(1, -1, (b & 1) != 0); }
    return 0;
  }
  var base = a;
  var n = u32(b);
  var r = 1;
  loop {
    if (n == 0u) { break; }
    if ((n & 1u) == 1u) { r = r * base; }
    n = n >> 1u;
    if (n != 0u) { base = base * base; }
  }
  return r;
}

// log(1 + x) without losing the low bits of small x (Goldberg's correction: u − 1 is exact)
fn log1pF(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (!isFiniteF(u)) { return select(nan(), u, u > 0.0); }
  if (u <= 0.0) { return select(nan(), -inf(), u == 0.0); }
  return log(u) * (x / (u - 1.0));
}

fn logF(x: f32) -> f32 {
  if (x < 0.0) { return nan(); }
  if (x == 0.0) { return -inf(); }
  return log(x);
}

fn sqrtF(x: f32) -> f32 { return select(sqrt(x), nan(), x < 0.0); }

// tanh saturates at ±1 for |x| > 9 in float32; clamping avoids inf/inf = NaN in implementations
// that compute it from exponentials
fn tanhF(x: f32) -> f32 { return select(tanh(clamp(x, -15.0, 15.0)), x, isNan(x)); }

fn sigmoidF(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// PyTorch's softplus (beta 1, threshold 20)
fn softplusF(x: f32) -> f32 { return select(log1pF(exp(x)), x, x > 20.0); }

fn signF(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }

// sin and cos to about an ulp for |x| < 65536 (the builtins may be off by 2^-11): x is reduced by
// q·π/2 with q = round(2x/π), π/2 split in three parts (Cody–Waite; the first has 8 bits, so q·DP1
// is exact), then Cephes' minimax polynomials on [−π/4, π/4] and the quadrant q mod 4. Beyond that
// range the builtin is used.
struct Reduced { r: f32, q: i32 }

fn reduceHalfPi(x: f32) -> Reduced {
  let q = round(x * 0.63661977236758134);
  let r = ((x - q * 1.5703125) - q * 4.837512969970703125e-4) - q * 7.54978995489188216e-8;
  return Reduced(r, i32(q));
}

fn sinPoly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
}

fn cosPoly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
}

fn sinF(x: f32) -> f32 {
  if (!isFiniteF(x)) { return nan(); }
  if (abs(x) >= 65536.0) { return sin(x); }
  let t = reduceHalfPi(x);
  let q = t.q & 3;
  let v = select(sinPoly(t.r), cosPoly(t.r), (q & 1) == 1);
  return select(v, -v, q >= 2);
}

fn cosF(x: f32) -> f32 {
  if (!isFiniteF(x)) { return nan(); }
  if (abs(x) >= 65536.0) { return cos(x); }
  let t = reduceHalfPi(x);
  let q = t.q & 3;
  let v = select(cosPoly(t.r), sinPoly(t.r), (q & 1) == 1);
  return select(v, -v, q == 1 || q == 2);
}
