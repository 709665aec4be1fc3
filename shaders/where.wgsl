// out = cond != 0 ? a : b, all three through strided views.
// P: size, rank, cOffset, aOffset, bOffset, shape[6], cStrides[6], aStrides[6], bStrides[6]
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> C: array<TC>;
@group(0) @binding(2) var<storage, read> A: array<T>;
@group(0) @binding(3) var<storage, read> B: array<T>;
@group(0) @binding(4) var<storage, read_write> out: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  var rem = i;
  var co = pi(2u);
  var ao = pi(3u);
  var bo = pi(4u);
  for (var d = i32(P[1]) - 1; d >= 0; d--) {
    let n = P[5u + u32(d)];
    let k = i32(rem % n);
    co += k * pi(11u + u32(d));
    ao += k * pi(17u + u32(d));
    bo += k * pi(23u + u32(d));
    rem /= n;
  }
  out[i] = select(B[u32(bo)], A[u32(ao)], C[u32(co)] != TC(0));
}
