// The Gaussian-mixture distance shared by the GM loss kernels (docs/gm-loss.md):
//   d_k(x_i) = ½ Σ_j (x_ij − μ_kj)² / s_kj,   h_k = ½ log|Σ_k| = ½ Σ_j logVar_kj
// with s = e^{logVar} (DIAGONAL) or s = 1, h = 0 (identity covariance). The difference form
// Σ (x − μ)² is summed directly: the GEMM form ‖x‖² − 2x·μ + ‖μ‖² would cancel when x ≈ μ, and on
// a GPU the direct form costs the same multiply-adds. Needs bindings x, means, logVar, distCache
// and the Params fields n, k, d. DIST_CACHED: d and h come from distCache, written by
// gmDistanceTiled.wgsl's pass over every pair (the same sums, in the same order).

const DIAGONAL: bool = {{DIAGONAL}};
const DIST_CACHED: bool = {{DIST_CACHED}};

struct Distance { d: f32, h: f32 }

fn gmDistance(i: u32, k: u32) -> Distance {
  if (DIST_CACHED) {
    return Distance(distCache[i * params.k + k], select(0.0, distCache[params.n * params.k + k], DIAGONAL));
  }
  let xb = i * params.d;
  let mb = k * params.d;
  var s = 0.0;
  var h = 0.0;
  for (var j = 0u; j < params.d; j++) {
    let diff = x[xb + j] - means[mb + j];
    if (DIAGONAL) {
      let lv = logVar[mb + j];
      s += diff * diff * exp(-lv);
      h += lv;
    } else {
      s += diff * diff;
    }
  }
  return Distance(0.5 * s, 0.5 * h);
}

fn inverseVariance(k: u32, j: u32) -> f32 {
  if (DIAGONAL) { return exp(-logVar[k * params.d + j]); }
  return 1.0;
}
