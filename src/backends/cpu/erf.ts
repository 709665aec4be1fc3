/**
 * erf / erfc to about 1e-16 relative accuracy in float64, for the exact (erf) form of GELU.
 *
 * Two expansions, each used where it converges fast and without cancellation:
 * - |x| < SERIES_LIMIT: erf(x) = (2/√π)·e^{-x²}·Σ_{n≥0} x·(2x²)^n / (1·3·5···(2n+1)).
 *   Every term is positive (unlike the Maclaurin series, whose alternating terms cancel), so the
 *   sum is accurate to a few ulps; the term ratio 2x²/(2n+1) makes it converge in ~40 terms at 2.
 * - the continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 *   evaluated bottom-up from a fixed depth. It converges faster the larger x is (80 levels give
 *   1e-16 at x = 2, 340 are needed at x = 0.75), and it gives erfc with full relative accuracy in
 *   the tail, where 1 − erf(x) would be all cancellation.
 *
 * erf uses the series below 2 and 1 − erfc above. erfc uses 1 − erf below 0.75 (erfc ≥ 0.28 there,
 * so at most two bits are lost) and the fraction above, with a depth chosen per range.
 * normalCdf (for GELU) needs absolute, not relative, accuracy, so it takes the fast path: the
 * series below 2 and the shallow fraction above.
 *
 * e^{-x²} is computed as e^{-h²}·e^{-(x−h)(x+h)} with h = x rounded to 1/16: h² is exact, so the
 * rounding error of x² (which grows with x²) does not reach the exponent.
 */

const SERIES_LIMIT = 2;
/** continued-fraction depth for < 2e-16 relative error, by the lower end of the range of x */
function fractionDepth(x: number): number {
  return x >= 2 ? 80 : x >= 1.5 ? 120 : x >= 1 ? 200 : 340;
}
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
/** beyond this erfc(x) underflows in float64 (erfc(27.3) ≈ 5e-326) */
const ERFC_UNDERFLOW = 27.3;

/** e^{-x²} without the rounding error of x² in the exponent (x ≥ 0) */
function expMinusSquare(x: number): number {
  const h = Math.round(x * 16) / 16;
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}

/** erf(x) for |x| < SERIES_LIMIT by the all-positive series */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(Math.abs(x)) * sum;
}

/** erfc(x) for x ≥ 0.75 by the continued fraction */
function erfcContinuedFraction(x: number): number {
  if (x >= ERFC_UNDERFLOW) return 0;
  let f = 0;
  for (let n = fractionDepth(x); n >= 1; n--) f = (n / 2) / (x + f);
  return ONE_OVER_SQRT_PI * expMinusSquare(x) / (x + f);
}

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < SERIES_LIMIT) return erfSeries(x);
  const r = 1 - erfcContinuedFraction(a);
  return x < 0 ? -r : r;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.75) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/** Φ(x), the standard normal CDF, to ~1e-16 absolute (and relative in the far tail x < −2√2) */
export function normalCdf(x: number): number {
  const t = x * Math.SQRT1_2;
  if (t > -SERIES_LIMIT) return 0.5 * (1 + erf(t));
  return 0.5 * erfcContinuedFraction(-t);
}
