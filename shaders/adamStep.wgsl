// In-place Adam / AdamW (PyTorch semantics, bias-corrected).
// P: size, lr, beta1, beta2, eps, weightDecay, decoupled, biasCorrection1, biasCorrection2
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  let lr = pf(1u); let b1 = pf(2u); let b2 = pf(3u); let eps = pf(4u); let wd = pf(5u);
  var g = grad[i];
  var p = param[i];
  if (P[6] != 0u) { p = p * (1.0 - lr * wd); } else { g = g + wd * p; }
  let mi = b1 * m[i] + (1.0 - b1) * g;
  let vi = b2 * v[i] + (1.0 - b2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = p - lr * (mi / pf(7u)) / (sqrt(vi / pf(8u)) + eps);
}
