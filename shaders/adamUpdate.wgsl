// In-place Adam / AdamW step with PyTorch's semantics (torch.optim.Adam, AdamW):
//   AdamW: param ·= (1 − lr·weightDecay) first (decay = that factor, coupled = 0);
//   Adam:  g = grad + weightDecay·param (decay = 1, coupled = weightDecay)
//   m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   param −= stepSize · m / (√v / √(1 − β2^t) + eps),  stepSize = lr / (1 − β1^t)
// The bias corrections are computed on the host in float64.
//!include dispatch

struct Params {
  count: u32, beta1: f32, beta2: f32, eps: f32, stepSize: f32, sqrtCorrection2: f32, decay: f32, coupled: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  let w = param[i] * params.decay;
  let g = grad[i] + params.coupled * w;
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * g;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = w - params.stepSize * mi / (sqrt(vi) / params.sqrtCorrection2 + params.eps);
}
