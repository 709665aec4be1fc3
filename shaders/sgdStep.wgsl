// In-place SGD (PyTorch semantics). P: size, lr, momentum, dampening, weightDecay, nesterov, firstStep, hasMomentum
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  let lr = pf(1u); let mom = pf(2u); let damp = pf(3u); let wd = pf(4u);
  var g = grad[i] + wd * param[i];
  if (P[7] != 0u) {
    var b = g;
    if (P[6] == 0u) { b = mom * buf[i] + (1.0 - damp) * g; }
    buf[i] = b;
    if (P[5] != 0u) { g = g + mom * b; } else { g = b; }
  }
  param[i] = param[i] - lr * g;
}
