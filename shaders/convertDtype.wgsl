// out[i] = x[i] converted between float32 and int32: float → int truncates toward zero (NaN and
// ±infinity give 0, as a typed-array store does), int → float rounds to nearest.
//!include dispatch
//!include math

struct Params { count: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<{{FROM}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{TO}}>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i < params.count) { out[i] = {{CONVERT}}(x[i]); }
}
