// The fused L∞ attack step, one element per invocation:
//   out = clamp(min(max(xAdv + alpha·sign(g), x − eps), x + eps), lo, hi)
// i.e. sign, scale, add, projection onto the ε-ball around x and the clip to the image range in one
// pass (the composed form costs eight kernels and seven temporaries per step).
//!include dispatch
//!include math

struct Params {
  count: u32, alpha: f32, eps: f32, lo: f32, hi: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xAdv: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  let gi = g[i];
  // a NaN gradient gives a NaN result, never a silent move. NaN is tested on the bits: compilers
  // may assume x != x is false, and WGSL's min/max may drop a NaN operand.
  if (isNan(gi) || isNan(xAdv[i])) { out[i] = nan(); return; }
  let s = select(select(0.0, -1.0, gi < 0.0), 1.0, gi > 0.0);   // sign(0) = 0
  let xi = x[i];
  let projected = min(max(xAdv[i] + params.alpha * s, xi - params.eps), xi + params.eps);
  var v = min(max(projected, params.lo), params.hi);
  if (isNan(xi)) { v = xi; }
  out[i] = v;
}
