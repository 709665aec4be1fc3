// out (contiguous) = op(a, b) with a and b read through strided views of the output's shape
// (stride 0 broadcasts, negative strides flip). {{EXPR}} is the op in terms of x (from a) and
// y (from b).
//!include dispatch
//!include math
//!include strided

struct Params {
  shape: array<vec4<u32>, 2>,
  aStrides: array<vec4<i32>, 2>,
  bStrides: array<vec4<i32>, 2>,
  aOffset: i32,
  bOffset: i32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const WG: u32 = {{WG}}u;

fn op(x: {{T}}, y: {{T}}) -> {{T}} {
  return {{EXPR}};
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  var rem = i;
  var ia = params.aOffset;
  var ib = params.bOffset;
  for (var t = 0u; t < RANK; t++) {
    let k = RANK - 1u - t;
    let n = params.shape[k >> 2u][k & 3u];
    let c = i32(rem % n);
    rem = rem / n;
    ia += c * params.aStrides[k >> 2u][k & 3u];
    ib += c * params.bStrides[k >> 2u][k & 3u];
  }
  out[i] = op(a[u32(ia)], b[u32(ib)]);
}
