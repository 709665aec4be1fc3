// GM loss parameters and the per-(sample, class) distance (prepended to the GM kernels).
// P: n, k, d, alpha, lambda, likelihood (0 true-class, 1 true-class-sq, 2 all-class), diagonal
struct GM { n: u32, k: u32, d: u32, alpha: f32, lambda: f32, lkd: u32, diag: bool }
fn gm() -> GM { return GM(P[0], P[1], P[2], pf(3u), pf(4u), P[5], P[6] != 0u); }
// d_k(x_i) = ½ Σ_j (x_ij − μ_kj)² / s_kj; for small D the difference form avoids cancellation
fn dist(g: GM, i: u32, k: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < g.d; j++) {
    let df = X[i * g.d + j] - M[k * g.d + j];
    if (g.diag) { s += df * df * exp(-V[k * g.d + j]); } else { s += df * df; }
  }
  return 0.5 * s;
}
// ½ log|Σ_k| (0 for identity covariance)
fn halfLogDet(g: GM, k: u32) -> f32 {
  if (!g.diag) { return 0.0; }
  var s = 0.0;
  for (var j = 0u; j < g.d; j++) { s += V[k * g.d + j]; }
  return 0.5 * s;
}
