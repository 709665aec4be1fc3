// out[o, j, i] = x[o, index[o, j, i], i] (x viewed as [outer, axis, inner], index int32
// [outer, count, inner]). Values move as raw 32-bit words (either dtype). An index outside
// [0, axis) cannot be reported from the GPU, so it yields `missingBits` (NaN for float32)
// rather than a plausible value.
//!include dispatch

struct Params { outer: u32, axis: u32, inner: u32, count: u32, total: u32, missingBits: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.total) { return; }
  let i = q % params.inner;
  let o = q / (params.count * params.inner);
  let k = index[q];
  if (k < 0 || u32(k) >= params.axis) {
    out[q] = params.missingBits;
    return;
  }
  out[q] = x[(o * params.axis + u32(k)) * params.inner + i];
}
