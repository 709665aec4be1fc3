// Fused GM loss forward, one invocation per sample: logits with the margin on the true class,
// log-sum-exp (kept for the backward), per-sample loss, prediction and detection score min_k d_k.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> Y: array<i32>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;
@group(0) @binding(7) var<storage, read_write> lossPer: array<f32>;
@group(0) @binding(8) var<storage, read_write> pred: array<i32>;
@group(0) @binding(9) var<storage, read_write> score: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gm();
  let i = linearIndex(wid, lid, nwg);
  if (i >= g.n) { return; }
  let y = u32(Y[i]);
  var m = -3.4028234663852886e38;
  var best = 0u; var bestV = 3.4028234663852886e38; var minD = 3.4028234663852886e38;
  var dy = 0.0; var hy = 0.0; var allSq = 0.0;
  for (var k = 0u; k < g.k; k++) {
    let d = dist(g, i, k);
    let h = halfLogDet(g, k);
    var margin = 1.0;
    if (k == y) { margin = 1.0 + g.alpha; dy = d; hy = h; }
    let z = -h - margin * d;
    logits[i * g.k + k] = z;
    m = max(m, z);
    let crit = d + h;
    if (crit < bestV) { bestV = crit; best = k; }
    minD = min(minD, d);
    allSq += 2.0 * d;
  }
  var s = 0.0;
  for (var k = 0u; k < g.k; k++) { s += exp(logits[i * g.k + k] - m); }
  let l = m + log(s);
  lse[i] = l;
  var lkd = dy + hy;
  if (g.lkd == 1u) { lkd = 2.0 * dy + hy; }
  if (g.lkd == 2u) { lkd = allSq / f32(g.k); }
  lossPer[i] = l - logits[i * g.k + y] + g.lambda * lkd;
  pred[i] = i32(best);
  score[i] = minD;
}
