// The GEMM epilogue as a pass of its own, in place, for the cores that do not fuse it (and after
// a split-K sum): element e of out has channel (e / inner) % channels.
//!include dispatch
//!include gemmEpilogueMath

const WG: u32 = {{WG}}u;

struct Params { size: u32, channels: u32, inner: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> epiScale: array<f32>;
@group(0) @binding(2) var<storage, read> epiShift: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let e = linearWorkgroup(wid, nwg) * WG + lane;
  if (e >= params.size) { return; }
  out[e] = epilogueAt((e / params.inner) % params.channels, out[e]);
}
