// The standard normal CDF Φ (the normalCdf op) and the exact (erf) GELU x·Φ(x). WGSL has no erf, so erfc comes
// from the Chebyshev fit of Numerical Recipes (erfcc): relative error below 1.2e-7 for every
// argument, which keeps both tails accurate (Φ(x) = ½·erfc(−x/√2) for x < 0, 1 − ½·erfc(x/√2) for
// x ≥ 0), so the absolute error of Φ stays below 1e-7 and of gelu(x) = x·Φ(x) below 1e-6 in float32.

fn erfcNonNegative(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-z * z + poly);
}

fn normalCdf(x: f32) -> f32 {
  let z = abs(x) * 0.70710678118654752;
  let half = 0.5 * erfcNonNegative(z);
  return select(1.0 - half, half, x < 0.0);
}

fn geluF(x: f32) -> f32 { return x * normalCdf(x); }
