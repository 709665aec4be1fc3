// out[o, j, i] = X[o, index[o, j, i], i]. P: outer, axis, inner, count
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<T>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  let outer = P[0]; let axis = P[1]; let inner = P[2]; let count = P[3];
  if (i >= outer * count * inner) { return; }
  let ii = i % inner;
  let o = i / (count * inner);
  let k = u32(clamp(index[i], 0, i32(axis) - 1));
  out[i] = X[(o * axis + k) * inner + ii];
}
