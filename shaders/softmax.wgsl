// Softmax or log-softmax over the last axis of [outer, inner]: one invocation per row, row max first.
// P: outer, inner
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = linearIndex(wid, lid, nwg);
  let inner = P[1];
  if (r >= P[0]) { return; }
  let base = r * inner;
  var m = X[base];
  for (var i = 1u; i < inner; i++) { m = max(m, X[base + i]); }
  var s = 0.0;
  for (var i = 0u; i < inner; i++) { s += exp(X[base + i] - m); }
  let ls = log(s);
  for (var i = 0u; i < inner; i++) {
    if (LOG) { out[base + i] = X[base + i] - m - ls; } else { out[base + i] = exp(X[base + i] - m) / s; }
  }
}
