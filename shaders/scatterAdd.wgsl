// out = zeros[outer, axis, inner]; out[o, index[o, j, i], i] += src[o, j, i]. Each output cell
// loops over j (deterministic, no float atomics). P: outer, axis, inner, count
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  let outer = P[0]; let axis = P[1]; let inner = P[2]; let count = P[3];
  if (i >= outer * axis * inner) { return; }
  let ii = i % inner;
  let k = i32((i / inner) % axis);
  let o = i / (axis * inner);
  var acc = T(0);
  for (var j = 0u; j < count; j++) {
    let s = (o * count + j) * inner + ii;
    if (index[s] == k) { acc += src[s]; }
  }
  out[i] = acc;
}
