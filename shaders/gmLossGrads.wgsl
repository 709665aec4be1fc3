// GM loss backward (docs/gm-loss.md), three passes, all fixed-order sums (no atomics):
// coefficients: one invocation per (sample i, class k) recomputes d_ik, h_k and
//   p_ik = exp(z_ik − lse_i) from the forward's log-sum-exp, then the loss's weights on d_ik and
//   on h_k, scaled by the upstream gradient G (a 1-element storage):
//     g = (p − [k = y])/N,  c = 1 + m·[k = y]  (m: the margin)
//     cDist   = G·(−c·g + [k = y]·lkdTrue + lkdAll)
//     cLogDet = G·(−g + [k = y]·lkdLogDet)
//   (lkdTrue = λ/N, 2λ/N or 0; lkdAll = 2λ/(N·K) for 'all-class'; lkdLogDet = λ/N unless
//   'all-class'), stored as coef[0][i][k] and coef[1][i][k].
// inputGrad: one invocation per (i, j): dx_ij = Σ_k cDist_ik (x_ij − μ_kj)/s_kj.
// paramGrad: one invocation per (k, j): dμ_kj = −Σ_i cDist_ik (x_ij − μ_kj)/s_kj and, diagonal,
//   dlogVar_kj = ½ Σ_i (cLogDet_ik − cDist_ik (x_ij − μ_kj)²/s_kj).
// With identity covariance this is rowsum(W)∘X − W·M and colsum(W)∘M − Wᵀ·X with W = cDist
// (docs/gm-loss.md).
//!include dispatch
//!include math

const WG: u32 = {{WG}}u;
const LIKELIHOOD: u32 = {{LIKELIHOOD}}u;

struct Params { n: u32, k: u32, d: u32, margin: f32, lambda: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> means: array<f32>;
@group(0) @binding(3) var<storage, read> logVar: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<i32>;
@group(0) @binding(5) var<storage, read> logSumExp: array<f32>;
@group(0) @binding(6) var<storage, read> gradLoss: array<f32>;
@group(0) @binding(7) var<storage, read_write> coef: array<f32>;
@group(0) @binding(8) var<storage, read_write> outA: array<f32>;
@group(0) @binding(9) var<storage, read_write> outB: array<f32>;
@group(0) @binding(10) var<storage, read> distCache: array<f32>;

//!include gmDistance

@compute @workgroup_size(WG)
fn coefficients(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lane: u32) {
  let t = linearWorkgroup(wid, nwg) * WG + lane;
  let nk = params.n * params.k;
  if (t >= nk) { return; }
  let i = t / params.k;
  let k = t % params.k;
  let y = labels[i];
  let isTrue = i32(k) == y;
  let nf = f32(params.n);
  let dist = gmDistance(i, k);
  let margin = select(1.0, 1.0 + params.margin, isTrue);
  let p = exp(-dist.h - margin * dist.d - logSumExp[i]);
  let g = (p - select(0.0, 1.0, isTrue)) / nf;
  var lkdTrue = 0.0;
  var lkdAll = 0.0;
  var lkdLogDet = params.lambda / nf;
  if (LIKELIHOOD == 0u) { lkdTrue = params.lambda / nf; }
  else if (LIKELIHOOD == 1u) { lkdTrue = 2.0 * params.lambda / nf; }
  else { lkdAll = 2.0 * params.lambda / (nf * f32(params.k)); lkdLogDet = 0.0; }
  let G = gradLoss[0];
  var cDist = G * (-margin * g + select(0.0, lkdTrue, isTrue) + lkdAll);
  var cLogDet = G * (-g + select(0.0, lkdLogDet, isTrue));
  if (y < 0 || u32(y) >= params.k) {
    cDist = nan();
    cLogDet = nan();
  }
  coef[t] = cDist;
  coef[nk + t] = cLogDet;
}

@compute @workgroup_size(WG)
fn inputGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lane: u32) {
  let t = linearWorkgroup(wid, nwg) * WG + lane;
  if (t >= params.n * params.d) { return; }
  let i = t / params.d;
  let j = t % params.d;
  let xv = x[t];
  var acc = 0.0;
  for (var k = 0u; k < params.k; k++) {
    acc += coef[i * params.k + k] * (xv - means[k * params.d + j]) * inverseVariance(k, j);
  }
  outA[t] = acc;
}

@compute @workgroup_size(WG)
fn paramGrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lane: u32) {
  let t = linearWorkgroup(wid, nwg) * WG + lane;
  if (t >= params.k * params.d) { return; }
  let k = t / params.d;
  let j = t % params.d;
  let mu = means[t];
  let inv = inverseVariance(k, j);
  let nk = params.n * params.k;
  var dMean = 0.0;
  var dLogVar = 0.0;
  for (var i = 0u; i < params.n; i++) {
    let diff = x[i * params.d + j] - mu;
    let term = coef[i * params.k + k] * diff * inv;
    dMean -= term;
    if (DIAGONAL) { dLogVar += 0.5 * (coef[nk + i * params.k + k] - term * diff); }
  }
  outA[t] = dMean;
  if (DIAGONAL) { outB[t] = dLogVar; }
}
