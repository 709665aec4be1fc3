// out = zeros[outer, axis, inner]; out[o, index[o, j, i], i] += src[o, j, i], computed without
// atomics: one invocation per output cell (o, a, i) walks j = 0..count-1 and adds the sources
// whose index is a, in order, so the result is deterministic. Indices outside [0, axis) add
// nowhere.
//!include dispatch

struct Params { outer: u32, axis: u32, inner: u32, count: u32, total: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.total) { return; }
  let i = q % params.inner;
  let a = i32((q / params.inner) % params.axis);
  let o = q / (params.axis * params.inner);
  var acc = {{T}}(0);
  for (var j = 0u; j < params.count; j++) {
    let s = (o * params.count + j) * params.inner + i;
    if (index[s] == a) { acc += src[s]; }
  }
  out[q] = acc;
}
