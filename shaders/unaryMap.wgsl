// out[i] = op(x[i]) for a contiguous input, {{T}} the dtype, p0/p1 the op's scalar parameters.
// {{EXPR_F32}} is the op on float32 (in terms of x, p0, p1; see kernels-elementwise.ts); {{EXPR}} the
// op on T: opF itself for float32, an exact integer form or a round trip through opF for int32.
//!include dispatch
//!include math
//!include erf

struct Params { count: u32, p0: f32, p1: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

const WG: u32 = {{WG}}u;

fn opF(x: f32, p0: f32, p1: f32) -> f32 {
  return {{EXPR_F32}};
}

fn op(x: {{T}}, p0: f32, p1: f32) -> {{T}} {
  return {{EXPR}};
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i < params.count) { out[i] = op(input[i], params.p0, params.p1); }
}
