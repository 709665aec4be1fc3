// GM backward, pass 1 (one invocation per sample and class): with P = softmax(Z) recomputed from
// the kept log-sum-exp, the loss's coefficients on d_k (CD) and on ½log|Σ_k| (CL), scaled by the
// upstream gradient. Pass 2 (gmLossBackward.wgsl) turns them into dX, dM and dlogVar.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> Y: array<i32>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> gradLoss: array<f32>;
@group(0) @binding(7) var<storage, read_write> CD: array<f32>;
@group(0) @binding(8) var<storage, read_write> CL: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gm();
  let t = linearIndex(wid, lid, nwg);
  if (t >= g.n * g.k) { return; }
  let i = t / g.k; let k = t % g.k;
  let isY = u32(Y[i]) == k;
  let d = dist(g, i, k);
  let h = halfLogDet(g, k);
  var margin = 1.0;
  if (isY) { margin = 1.0 + g.alpha; }
  let p = exp(-h - margin * d - lse[i]);
  let nf = f32(g.n);
  let gr = (p - select(0.0, 1.0, isY)) / nf;
  var cd = -gr * margin;
  var cl = -gr;
  if (isY && g.lkd == 0u) { cd += g.lambda / nf; cl += g.lambda / nf; }
  if (isY && g.lkd == 1u) { cd += 2.0 * g.lambda / nf; cl += g.lambda / nf; }
  if (g.lkd == 2u) { cd += 2.0 * g.lambda / (nf * f32(g.k)); }
  CD[t] = cd * gradLoss[0];
  CL[t] = cl * gradLoss[0];
}
