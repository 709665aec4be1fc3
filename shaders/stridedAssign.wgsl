// In place: dst[view] = src[view]. P: size, rank, dstOffset, srcOffset, shape[6], dstStrides[6], srcStrides[6]
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<T>;
@group(0) @binding(2) var<storage, read_write> dst: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  var rem = i;
  var doff = pi(2u);
  var soff = pi(3u);
  for (var d = i32(P[1]) - 1; d >= 0; d--) {
    let n = P[4u + u32(d)];
    let k = i32(rem % n);
    doff += k * pi(10u + u32(d));
    soff += k * pi(16u + u32(d));
    rem /= n;
  }
  dst[u32(doff)] = src[u32(soff)];
}
