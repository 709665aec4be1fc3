// out[i] = a 32-bit pattern: fills either dtype (the host encodes the value as f32 or i32 bits),
// zero-initialises alloc, and poisons fresh outputs with NaN in the debug mode.
//!include dispatch

struct Params { count: u32, bits: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i < params.count) { out[i] = params.bits; }
}
