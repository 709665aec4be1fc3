// out (contiguous) = cond != 0 ? a : b, all three read through strided views of the output shape.
// cond may be float32 or int32 ({{TC}}); a, b and out share {{T}}.
//!include dispatch
//!include math
//!include strided

struct Params {
  shape: array<vec4<u32>, 2>,
  cStrides: array<vec4<i32>, 2>,
  aStrides: array<vec4<i32>, 2>,
  bStrides: array<vec4<i32>, 2>,
  cOffset: i32,
  aOffset: i32,
  bOffset: i32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cond: array<{{TC}}>;
@group(0) @binding(2) var<storage, read> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read> b: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

const WG: u32 = {{WG}}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linearWorkgroup(wid, nwg) * WG + lid;
  if (i >= params.count) { return; }
  var rem = i;
  var ic = params.cOffset;
  var ia = params.aOffset;
  var ib = params.bOffset;
  for (var t = 0u; t < RANK; t++) {
    let k = RANK - 1u - t;
    let n = params.shape[k >> 2u][k & 3u];
    let c = i32(rem % n);
    rem = rem / n;
    ic += c * params.cStrides[k >> 2u][k & 3u];
    ia += c * params.aStrides[k >> 2u][k & 3u];
    ib += c * params.bStrides[k >> 2u][k & 3u];
  }
  // a NaN condition is non-zero, as in the reference (NaN != 0); tested explicitly because some
  // implementations compile != as an ordered comparison
  let c = cond[u32(ic)];
  let take = c != {{TC}}(0) || {{COND_NAN}};
  out[i] = select(b[u32(ib)], a[u32(ia)], take);
}
