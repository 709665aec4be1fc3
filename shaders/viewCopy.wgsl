// dst (through its view) = src (through its view), element for element over the view's shape.
// copy() passes a contiguous destination; assign() the destination's own strided view. Values move
// as raw 32-bit words, so one pipeline per rank serves float32 and int32.
//!include dispatch
//!include strided

struct Params {
  shape: array<vec4<u32>, 2>,
  srcStrides: array<vec4<i32>, 2>,
  dstStrides: array<vec4<i32>, 2>,
  srcOffset: i32,
  dstOffset: i32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  var rem = i;
  var s = params.srcOffset;
  var d = params.dstOffset;
  for (var t = 0u; t < RANK; t++) {
    let k = RANK - 1u - t;
    let n = params.shape[k >> 2u][k & 3u];
    let c = i32(rem % n);
    rem = rem / n;
    s += c * params.srcStrides[k >> 2u][k & 3u];
    d += c * params.dstStrides[k >> 2u][k & 3u];
  }
  dst[u32(d)] = src[u32(s)];
}
