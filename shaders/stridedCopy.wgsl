// Materialise a strided view (up to 6 dims; stride 0 broadcasts, negative strides flip).
// P: size, rank, offset, shape[6], strides[6]
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  var rem = i;
  var off = pi(2u);
  for (var d = i32(P[1]) - 1; d >= 0; d--) {
    let n = P[3u + u32(d)];
    off += i32(rem % n) * pi(9u + u32(d));
    rem /= n;
  }
  out[i] = src[u32(off)];
}
