// In-place SGD step with PyTorch's semantics (torch.optim.SGD):
//   g = grad + weightDecay·param
//   with momentum: buf = g on the first step, else momentum·buf + (1 − dampening)·g;
//                  g = g + momentum·buf (Nesterov) or g = buf
//   param −= lr·g
// MOMENTUM is specialised: without it the buffer binding is a dummy and never touched.
//!include dispatch

const MOMENTUM: bool = {{MOMENTUM}};

struct Params {
  count: u32, lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: u32, firstStep: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> momentumBuf: array<f32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  let w = param[i];
  var g = grad[i] + params.weightDecay * w;
  if (MOMENTUM) {
    var b = g;
    if (params.firstStep == 0u) { b = params.momentum * momentumBuf[i] + (1.0 - params.dampening) * g; }
    momentumBuf[i] = b;
    if (params.nesterov != 0u) { g = g + params.momentum * b; } else { g = b; }
  }
  param[i] = w - params.lr * g;
}
